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
import io
import json
import subprocess
import sys
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
