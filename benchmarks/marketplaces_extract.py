"""Rebuild the whole-marketplace sets (JSON Lines) from fetched copies of public repositories.

    python benchmarks/marketplaces_extract.py [--mirror /work/.mirror] [--out /work/ext/marketplaces]
                                              [--write-manifest]

The listings are not ours to redistribute, so the repository keeps only the recipe (``SETS``
below: repository, commit, path, licence, which columns) and the manifest
``benchmarks/marketplaces.manifest.csv`` (rows and SHA-256 of each extracted file). Whoever
runs the evaluation fetches the repositories (``/work/.mirror/<owner>+<name>/repo``, a bare
git directory), runs this, and gets ``OUT/<lang>/<name>.jsonl`` with one listing a line:
``{"id", "title", "text", "category", "lang", "platform"}``. Without ``--write-manifest`` the
files are checked against the manifest and a mismatch exits non-zero.

Duplicate titles are kept: a marketplace repeats listings, and a flag rate is per listing.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import html
import io
import json
import re
import subprocess
import sys
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "marketplaces.manifest.csv"
MIRROR = Path("/work/.mirror")
OUT = Path("/work/ext/marketplaces")


@dataclass(frozen=True)
class Source:
    """One public dump: where it is and how its rows become listings."""

    name: str
    lang: str
    platform: str
    repo: str
    commit: str
    path: str
    licence: str
    rows: Callable[[str], Iterator[dict[str, str]]]


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def flipkart(text: str) -> Iterator[dict[str, str]]:
    # the category is Flipkart's product-vertical code: the first three letters of the pid
    for r in _csv(text):
        yield {"id": r["uniq_id"], "title": r["product_name"], "category": r["pid"][:3] or "?"}


def tiki(text: str) -> Iterator[dict[str, str]]:
    # no category column in this crawl: one category for all
    for r in _csv(text):
        yield {"id": f"tiki-{r['']}", "title": r["name"], "category": "(none)"}


def meli(text: str) -> Iterator[dict[str, str]]:
    for r in _csv(text):
        yield {"id": r["item_id"], "title": r["item_name"], "category": r["category"] or "?"}


def tokopedia(text: str) -> Iterator[dict[str, str]]:
    for i, r in enumerate(_csv(text)):
        # the search keyword the crawl used is the nearest thing to a category
        keyword = r["link"].split("keyword%3D", 1)[-1].split("%26", 1)[0].replace("+", " ") if "keyword%3D" in r["link"] else "?"
        yield {"id": f"tokopedia-{i}", "title": r["name"], "category": keyword}


def prdect(text: str) -> Iterator[dict[str, str]]:
    # one row per review: keep each product (its name) once, with its category
    seen: set[str] = set()
    for r in _csv(text):
        name = r["Product Name"]
        if name in seen:
            continue
        seen.add(name)
        yield {"id": f"prdect-{len(seen)}", "title": name, "category": r["Category"] or "?"}


def tiki_fashion(text: str) -> Iterator[dict[str, str]]:
    for i, r in enumerate(_csv(text)):
        yield {"id": f"tikifashion-{i}", "title": r["Tên sản phẩm"], "category": r["Category"] or "?"}


def shopee_slug(text: str) -> Iterator[dict[str, str]]:
    # the crawl kept the title only in the listing URL: shopee.vn/<Title-With-Dashes>-i.<shop>.<item>
    for r in _csv(text):
        slug = urllib.parse.unquote(r["url"].split("shopee.vn/", 1)[-1].split("?", 1)[0])
        title = re.sub(r"-i\.\d+\.\d+$", "", slug).replace("-", " ")
        yield {"id": f"shopee-{r['id']}", "title": title, "category": r["category_id"] or "?"}


def taobao(text: str) -> Iterator[dict[str, str]]:
    # one search (圣诞帽, Christmas hat); the search highlight markup is removed
    for r in _csv(text):
        title = re.sub(r"<[^>]*>", "", html.unescape(r["name"]))
        yield {"id": f"taobao-{r['']}", "title": title, "category": "圣诞帽 search"}


def avito(text: str) -> Iterator[dict[str, str]]:
    for i, r in enumerate(_csv(text)):
        yield {"id": f"avito-{i}", "title": r["titre"], "category": "(none)"}


def meli_mx(text: str) -> Iterator[dict[str, str]]:
    for i, r in enumerate(_csv(text)):
        yield {"id": f"melimx-{i}", "title": r["Producto"], "category": "(none)"}


def taobao_ner(text: str) -> Iterator[dict[str, str]]:
    # one character and its entity tag a line, a blank line between titles; each title once
    seen: set[str] = set()
    chars: list[str] = []
    for line in [*text.split("\n"), ""]:
        if line.strip():
            chars.append(line.split()[0])
            continue
        title = "".join(chars)
        chars = []
        if title and title not in seen:
            seen.add(title)
            yield {"id": f"taobaoner-{len(seen)}", "title": title, "category": "(none)"}


_TWO_WORD_TYPES = {"kem", "sữa", "nước", "gel", "mặt", "dầu", "tinh", "xịt", "bông", "son", "phấn", "bộ", "miếng", "viên", "bàn", "tẩy", "dung"}


def hasaki(text: str) -> Iterator[dict[str, str]]:
    # cosmetics with their shop description; the crawl has no category column, so the product
    # type is the title's first word (two for Vietnamese compounds such as "Kem Chống", "Sữa Rửa")
    for r in _csv(text):
        words = r["ten_san_pham"].split()
        kind = " ".join(words[:2] if words and words[0].casefold() in _TWO_WORD_TYPES else words[:1]).casefold()
        yield {"id": f"hasaki-{r['ma_san_pham']}", "title": r["ten_san_pham"], "text": r["mo_ta"],
               "category": kind or "?"}


SETS: tuple[Source, ...] = (
    Source("flipkart_en", "en", "flipkart", "sonalkulk/Shack-labs-Pre-internship-test",
           "91e1921898ee38394a5b520900da298eb15e4758", "flipkart_com-ecommerce_sample.csv",
           "none stated in the repository; a trimmed copy of the PromptCloud Flipkart sample (Kaggle, CC BY-SA 4.0)",
           flipkart),
    Source("tiki_vi", "vi", "tiki", "benlehuyvy176/TIKI-WEB-SCRAPING",
           "945f5d24f7995f0c6fdf7c4cea8839bc84588520", "tiki_products.csv",
           "none stated (a crawl of tiki.vn listing pages)", tiki),
    Source("mercadolivre_pt", "pt", "mercadolivre", "victorsa2/sales_MELI",
           "7d63471fe6ea880daef2d0e0c39a3edfa62e35a4", "data_raw/products.csv",
           "none stated (Mercado Livre public items API, 50 items per top category)", meli),
    Source("tokopedia_id", "id", "tokopedia", "afrzlfaiz/Tokopedia-Scraper",
           "b9b6106cde5935f202fb583ba2f82846f2b47459", "tokopedia_products.csv",
           "none stated (a crawl of tokopedia.com search results)", tokopedia),
    Source("prdect_id", "id", "tokopedia", "Blacks-sketc/pba2026-crazyrichteam",
           "50a5663594716449f41c1dfe7e2035882c4adc6e", "data/clean/cleaned_dataset.csv",
           "PRDECT-ID (Sutoyo et al. 2022, Mendeley Data, CC BY 4.0); repository states none", prdect),
    Source("tiki_fashion_vi", "vi", "tiki", "RokeMSE/22CLC-Intro2DS-Brand_Fashion_Market_SeasonalTrend_Analysis",
           "781507ad0e9f498da3c44d2054a7b4f633317d26", "Data/tiki_products_final.csv",
           "none stated (a crawl of tiki.vn fashion listings)", tiki_fashion),
    Source("shopee_vi", "vi", "shopee", "GiaBaoNguyenXuan/Personal_Project_1",
           "0ab918e01495a5f51c330659c7d39679f933cb68", "shopee_products_final_v2.csv",
           "none stated (a Bright Data sample of shopee.vn; title from the listing URL)", shopee_slug),
    Source("taobao_zh", "zh", "taobao", "tracyqan/TBSpider",
           "55ce7211d516d0ce4e22f8cd5ea945b6724998f4", "goods.csv",
           "none stated (one Taobao search, 圣诞帽)", taobao),
    Source("avito_fr", "fr", "avito", "simofane4/AvitoScrap",
           "48e5a2e376cb88d914983ddc02798a2f138ab9a1", "annonces.csv",
           "none stated (a crawl of avito.ma classifieds, Morocco, French)", avito),
    Source("mercadolibre_es", "es", "mercadolibre", "azartearxd/mercadolibre",
           "bc6dd510f1b9c0d3d2a65e55935dfdd52136ddfb", "productos_mercadolibre.csv",
           "none stated (a crawl of mercadolibre.com.mx offers)", meli_mx),
    Source("hasaki_vi", "vi", "hasaki", "sangdaden/recommendation_system",
           "e9be13c3d7205dcd441f1eeca423279838f55494", "San_pham.csv",
           "none stated (Hasaki.vn cosmetics: name and shop description)", hasaki),
    Source("taobao_ner_zh", "zh", "taobao", "allanj/ner_incomplete_annotation",
           "a885c29bba4178885dcf4b674019650775d9512c", "data/ecommerce/train.txt",
           "none stated (Taobao product titles of the e-commerce NER set of Jie et al., NAACL 2019)", taobao_ner),
)


def git_dir(repo: str, mirror: Path) -> Path:
    base = mirror / repo.replace("/", "+") / "repo"
    return base / ".git" if (base / ".git").is_dir() else base


def read_blob(source: Source, mirror: Path) -> str:
    where = git_dir(source.repo, mirror)
    done = subprocess.run(["git", "-C", str(where), "show", f"{source.commit}:{source.path}"],
                          capture_output=True, check=False)
    if done.returncode != 0:
        sys.exit(f"marketplaces_extract: cannot read {source.repo}@{source.commit[:10]}:{source.path} "
                 f"from {where} (fetch the repository first): {done.stderr.decode(errors='replace')[:200]}")
    return done.stdout.decode("utf-8", errors="replace")


def extract(source: Source, mirror: Path, out: Path) -> tuple[Path, int, str]:
    """Write one set; return its path, row count and SHA-256."""
    lines = []
    for row in source.rows(read_blob(source, mirror)):
        title = " ".join(row["title"].split())
        if not title:
            continue
        record = {"id": row["id"], "title": title, "text": row.get("text") or None,
                  "category": row["category"], "lang": source.lang, "platform": source.platform}
        lines.append(json.dumps(record, ensure_ascii=False))
    path = out / source.lang / f"{source.name}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    data = ("\n".join(lines) + "\n").encode("utf-8")
    path.write_bytes(data)
    return path, len(lines), hashlib.sha256(data).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mirror", type=Path, default=MIRROR)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--write-manifest", action="store_true")
    args = parser.parse_args()
    expected = {}
    if MANIFEST.exists():
        expected = {r["name"]: r for r in csv.DictReader(MANIFEST.open(encoding="utf-8"))}
    rows = []
    bad = []
    for source in SETS:
        path, n, digest = extract(source, args.mirror, args.out)
        print(f"{source.name:18} {source.lang}  {n:6d} rows  {path}")
        rows.append([source.name, source.lang, source.repo, source.commit, source.path, source.licence, n, digest])
        if not args.write_manifest and source.name in expected and expected[source.name]["sha256"] != digest:
            bad.append(source.name)
    if args.write_manifest:
        with MANIFEST.open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["name", "lang", "repo", "commit", "path", "licence", "rows", "sha256"])
            w.writerows(rows)
    elif bad:
        sys.exit(f"marketplaces_extract: differ from the manifest: {', '.join(bad)}")


if __name__ == "__main__":
    main()
