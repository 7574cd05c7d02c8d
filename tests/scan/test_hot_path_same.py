"""The scan's hot path (issue 27, item 1) gives the same output as the path it replaced.

The old implementations are kept here, verbatim in what they compute: the sense check running
every cue regex over the whole text, the per-character fold through ``map`` and the full fix-up
alternation, and every regex cue over every text. Real-shaped listings are scanned with the new
path and again with the old one swapped in, and every result (verdict, scores, facets, reasons,
matches, taxa) must be the same. Inputs: the demo listings, 3,000 real bird ads (shared data), and
the real marketplace listings under ``/work/ext/marketplaces`` where that folder exists (long
descriptions and short titles); elsewhere the bird ads joined into listings of marketplace length.
"""

from __future__ import annotations

import csv
import json
import random
import re
from collections.abc import Callable, Iterator
from itertools import compress
from pathlib import Path
from typing import Any

import pytest

import wildtrace
from wildtrace import Scanner, Settings
from wildtrace.learn import features
from wildtrace.scan import detect, prefilter, weighting
from wildtrace.scan.lexicon import Lexicon
from wildtrace.taxa import refdata, senses
from wildtrace.text import normalize as N

ROOT = Path(__file__).resolve().parents[2]
BIRDS = ROOT.parent / "shared" / "data" / "bird_ads_stringham2021.csv"
MARKETPLACES = Path("/work/ext/marketplaces")


# -- the old path ---------------------------------------------------------------------------------

def _old_decide(entry: senses.SenseEntry, text: str, _found: Any = None) -> tuple[senses.Sense, list[str]] | None:
    best: tuple[int, bool, senses.Sense, list[str]] | None = None
    for sense in entry.senses:
        hits = list(dict.fromkeys(m.group(0) for m in sense.pattern.finditer(text)))
        if not hits:
            continue
        key = (len(hits), sense.name == senses.WILDLIFE, sense, hits)
        if best is None or key[:2] > best[:2]:
            best = key
    if best is None:
        return (entry.default, []) if entry.default is not None else None
    return best[2], best[3]


_OLD_FIXUPS = re.compile("|".join(f"(?P<{k}>{p})" for k, p in N._FIXUP_GROUPS.items()))


def _old_normalize(text: str, *, with_index: bool = True) -> tuple[str, list[int] | None]:
    parts = list(map(N._FOLD.__getitem__, text))
    if "#" in text:
        for i in N._hashtag_breaks(text):
            parts[i] = " " + parts[i]
    out = "".join(parts)
    index: list[int] | None = None
    if with_index:
        if len(out) == len(text) and N._IRREGULAR.isdisjoint(text):
            index = list(range(len(text)))
        else:
            index = [i for i, p in enumerate(parts) for _ in p]
    return _old_fix_up(out, index, text)


def _old_fix_up(text: str, index: list[int] | None, source: str = "") -> tuple[str, list[int] | None]:
    drop: list[int] = []
    leet_spans: list[tuple[int, int]] = []
    for m in _OLD_FIXUPS.finditer(text):
        kind = m.lastgroup
        if kind == "multi":
            drop.extend(range(m.start() + 1, m.end()))
        elif kind == "leet":
            leet_spans.append(m.span())
        elif kind == "split":
            drop.extend(N._split_drops(text, m.start(), m.end(), index, source))
        elif N._between_han_words(text, m.start(), m.end()):
            drop.extend(range(m.start() + 1, m.end()))
        else:
            drop.extend(range(m.start(), m.end()))
    if leet_spans:
        leet = N._tables()[2]
        pieces = []
        last = 0
        for a, b in leet_spans:
            pieces.append(text[last:a])
            pieces.append(text[a:b].translate(leet))
            last = b
        pieces.append(text[last:])
        text = "".join(pieces)
    if not drop:
        return text, index
    mask = bytearray(b"\x01") * len(text)
    for i in drop:
        mask[i] = 0
    new_index = list(compress(index, mask)) if index is not None else None
    return "".join(compress(text, mask)), new_index


def _old_fold_with_index(text: str) -> tuple[str, Callable[[], list[int]]]:
    parts = list(map(N._LIGHT.__getitem__, text))
    out = "".join(parts)

    def index() -> list[int]:
        if len(out) == len(text) and N._LIGHT_IRREGULAR.isdisjoint(text):
            return list(range(len(text)))
        return [i for i, p in enumerate(parts) for _ in p]

    return out, index


def _old_normalize_term(term: str) -> str:
    return _old_normalize(term, with_index=False)[0].strip()


def _use_old_path(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(senses, "_decide", _old_decide)
    mp.setattr(N, "normalize", _old_normalize)
    mp.setattr(N, "normalize_term", _old_normalize_term)
    mp.setattr(N, "fold_with_index", _old_fold_with_index)
    for module in (detect, weighting, features):
        if hasattr(module, "normalize"):
            mp.setattr(module, "normalize", _old_normalize)
    mp.setattr(detect, "fold_with_index", _old_fold_with_index)
    mp.setattr(Lexicon, "other_regex_for", lambda self, text: self.other_regex)


# -- real-shaped input ----------------------------------------------------------------------------

def _birds(limit: int) -> list[dict[str, str]]:
    with open(BIRDS, encoding="latin-1", newline="") as fh:
        rows = [r for _, r in zip(range(limit), csv.DictReader(fh), strict=False)]
    return [{"id": r["classifieds_unique_listing_id"], "title": r["text_stop_stem"][:80],
             "text": r["text_stop_stem"][80:]} for r in rows]


def _marketplace_listings() -> list[dict[str, Any]]:
    """Real marketplace listings: every long one and a sample of the short ones; where the extracts
    are not here, bird ads joined into listings of a long description's length."""
    files = sorted(MARKETPLACES.glob("*/*.jsonl")) if MARKETPLACES.is_dir() else []
    if files:
        rng = random.Random(27)
        out: list[dict[str, Any]] = []
        for path in files:
            with open(path, encoding="utf-8") as fh:
                recs = [json.loads(line) for line in fh if line.strip()]
            long = [r for r in recs if len(r.get("title") or "") + len(r.get("text") or "") >= 400]
            short = [r for r in recs if r not in long]
            for n, r in enumerate(long[:300] + rng.sample(short, min(60, len(short)))):
                out.append({"id": f"{path.stem}-{n}", "title": r.get("title"), "text": r.get("text")})
        return out
    ads = _birds(16_509)[3_000:]
    return [{"id": f"long-{k}", "title": ads[k]["title"],
             "text": " ".join(a["title"] + a["text"] for a in ads[k: k + 12])} for k in range(0, 6_000, 12)]


def _inputs() -> Iterator[dict[str, Any]]:
    with open(Path(wildtrace.__file__).parent / "data" / "demo_listings.jsonl", encoding="utf-8") as fh:
        yield from (json.loads(line) for line in fh if line.strip())
    yield from _birds(3_000)
    yield from _marketplace_listings()
    # the fix-ups and the cues' pre-checks, each on its own
    yield from ({"id": f"fx{k}", "title": t} for k, t in enumerate([
        "i.v.o.r.y  1v0ry  b0ne #WalrusIvory", "象 牙 手镯  鲨鱼翅 排翅", "งา ช้าง แท้", "line id: abcd1234 wa.me/8412345",
        "一斤 500元 每克", "ตัวละ 500 บาท", "per kg 20 usd / pcs", "Ｉｖｏｒｙ ＷＨＡＴＳＡＰＰ：abcde", "đồi mồi giải 玳瑁 tortoiseshell"]))


def _outputs(scanner: Scanner) -> list[dict[str, Any]]:
    out = []
    for r in scanner.scan(_inputs()):
        d = r.to_dict() if hasattr(r, "to_dict") else {"reject": str(r)}
        d.pop("scanned_at", None)
        out.append(d)
    return out


def test_the_scan_gives_the_same_output_as_the_old_path(monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path) -> None:
    scanner = Scanner(Settings(data_dir=tmp_path / "data"))  # its caches go there, never into the repo
    new = _outputs(scanner)
    with monkeypatch.context() as mp:
        _use_old_path(mp)
        old = _outputs(scanner)
    assert len(new) == len(old) > 3_000
    differ = [(a["id"], a, b) for a, b in zip(new, old, strict=True) if a != b]
    assert not differ, differ[:2]
    assert sum(1 for d in new if d.get("verdict") == "wildlife_offer") > 10  # the input walks the scoring


def test_the_sense_check_finds_what_the_cue_regexes_find() -> None:
    """Texts woven from the cue words themselves, run together, spaced, inside longer words."""
    table = senses.SenseTable(list(refdata.load().senses))
    entries = list({id(e): e for e in table.by_term.values()}.values())
    cues = sorted({c for e in entries for s in e.senses for c in s.cues})
    rng = random.Random(7)
    glue = ["", " ", "  ", "a", "x1", "é", "象", " the ", "-"]
    for _ in range(1_500):
        text = "".join(rng.choice(cues) + rng.choice(glue) for _ in range(rng.randint(1, 12)))
        found = table._occurrences(text)
        for entry in rng.sample(entries, min(6, len(entries))):
            for sense in entry.senses:
                expected = list(dict.fromkeys(m.group(0) for m in sense.pattern.finditer(text)))
                assert senses._hits(sense, text, found) == expected, (text, sense.name)
            assert senses._decide(entry, text, found) == _old_decide(entry, text)


def test_a_regex_cue_left_out_cannot_match() -> None:
    """Each cue's required characters are in every example it matches; patterns ignoring case or
    made of optional parts give no set (they always run)."""
    for pattern in refdata.load().patterns:
        chars = prefilter.required_strings(pattern.pattern)
        for example in pattern.examples:
            m = re.search(pattern.pattern, N.fold(example))
            if m and chars is not None:
                assert any(c in m.group(0) for c in chars), (pattern.name, example, chars)
    assert prefilter.required_strings(r"(?i)abc") is None
    assert prefilter.required_strings(r"a?b*") is None
    assert prefilter.required_strings(r"\d+(?:元|块)") == frozenset("元块")
    # runs of literals, and whole-literal alternatives joined to the literals after them
    assert prefilter.required_strings(r"\b(?:wa\.me|t\.me)/\S+") == {"wa.me/", "t.me/"}
    assert prefilter.required_strings(r"(?:\bper\s?kg|/\s?kg)") == {"per", "/"}
    assert prefilter.required_strings(r"ab?c") == {"a"}  # not "abc": the b is optional
    assert prefilter.required_strings(r"x(?:a|b\d)y") == {"x"}  # b\d is not one exact string: no "xay"
    assert prefilter.required_strings(r"x(?:a|b)y") == {"xay", "xby"}
    # a set too large to check gives way to a smaller one
    many = "|".join(chr(97 + i) * 10 for i in range(25))
    assert prefilter.required_strings(f"(?:{many})\\sz") == {"z"}


def test_the_fast_normaliser_matches_the_old_one_character_by_character() -> None:
    rng = random.Random(3)
    alphabet = list("abcxyz019 .-#_@:ivorygàđĐＩ象牙犀 งาช้าง\u200b\u0301ﬁ①Αβ") + ["  ", " i v o r y "]
    for _ in range(3_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert N.normalize(text) == _old_normalize(text), text
        assert N.normalize(text, with_index=False) == _old_normalize(text, with_index=False), text
        light, index = N.fold_with_index(text)
        old_light, old_index = _old_fold_with_index(text)
        assert light == old_light and list(index()) == list(old_index()), text
