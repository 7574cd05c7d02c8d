"""Self-generated training listings for the shipped text model, in the eight languages.

Frames (``data/synthetic.yaml``: the shape of an offer, a "wanted" post, a news item, an
information page, a depiction, everyday goods, per language) are filled with the project's own
reference data: taxon names and product words of each language, sale, authenticity, wanted,
report and depiction cues, the senses' examples and innocent phrases. Nothing is copied from a
real listing, so the set is ours to ship and to retrain from (``scripts/train_shipped_model.py``).

Labels follow the ``wildlife-offer`` definition: offers and "wanted" posts of real wildlife are
1; news, information, depictions, everyday goods and other senses of wildlife words are 0.
Each example's group is its frame in its language, so validation folds hold out whole frames.
It measures nothing about real text: quality is measured on real sets (docs/evaluation.md).
"""

from __future__ import annotations

import hashlib
import random
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from wildtrace import manifest
from wildtrace.errors import DataError
from wildtrace.scan.listing import Listing
from wildtrace.taxa.refdata import ReferenceData
from wildtrace.taxa.senses import WILDLIFE

FRAMES = manifest.path("synthetic")
#: examples per language and family (the senses' examples are added on top, in every language)
COUNTS = {"offer": 320, "wanted": 60, "news": 160, "info": 160, "depiction": 100, "goods": 200}
POSITIVE = frozenset({"offer", "wanted"})


@dataclass(frozen=True)
class Example:
    listing: Listing
    label: int
    family: str
    group: str


def load_frames(path: Path = FRAMES) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DataError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict) or "frames" not in data or "contacts" not in data:
        raise DataError(f"{path}: needs frames and contacts")
    return data


def generate(ref: ReferenceData, *, seed: int = 0, frames: dict[str, Any] | None = None,
             counts: dict[str, int] | None = None) -> list[Example]:
    """The training examples, in a fixed order for a given seed and reference data."""
    data = frames or load_frames()
    counts = counts or COUNTS
    rng = random.Random(seed)
    out: list[Example] = []
    for lang, spec in data["frames"].items():
        frame_lang = spec.get("same_as", lang) if isinstance(spec, dict) else lang
        pools = _Pools(ref, lang, data["frames"][frame_lang], data["contacts"].get(frame_lang, []))
        for family, n in counts.items():
            templates = pools.frames.get(family, [])
            for _ in range(n if templates else 0):
                k = rng.randrange(len(templates))
                text = pools.fill(templates[k], rng, family)
                out.append(_example(text, lang, family, f"{family}:{lang}:{k}", rng))
    for entry in ref.senses:
        for sense in entry.senses:
            for k, example in enumerate(sense.examples):
                family = "sense_wildlife" if sense.name == WILDLIFE else "sense_other"
                for variant in _variants(example, rng):
                    out.append(_example(variant, "en", family, f"{family}:{sense.name}:{entry.terms[0]}:{k}", rng,
                                        label=int(family == "sense_wildlife")))
    return out


class _Pools:
    def __init__(self, ref: ReferenceData, lang: str, frames: dict[str, Any], contacts: list[str]):
        self.frames = frames
        self.taxa = sorted({n for t in ref.taxa for n in t.names.get(lang, ()) if n not in t.ambiguous_names})
        self.products = sorted({w for p in ref.products for w in p.words.get(lang, ())})
        cues: dict[str, set[str]] = {}
        for cue in ref.cues:
            if cue.lang == lang:
                cues.setdefault(cue.cue, set()).add(cue.term)
        self.cues = {k: sorted(v) for k, v in cues.items()}
        self.contacts = contacts or ["DM"]
        if not self.taxa or not self.products:
            raise DataError(f"synthetic: no taxon names or product words in {lang!r}")

    def pick(self, rng: random.Random, kind: str, fallback: str = "") -> str:
        pool = self.cues.get(kind) or []
        return rng.choice(pool) if pool else fallback

    def fill(self, template: str, rng: random.Random, family: str) -> str:
        price = rng.choice(self.frames.get("prices", ["{n}"])).replace("{n}", str(rng.choice((5, 12, 35, 80, 150, 450, 900, 1200))))
        values = {
            "taxon": rng.choice(self.taxa), "product": rng.choice(self.products), "price": price,
            "sale": self.pick(rng, "sale"), "auth": self.pick(rng, "authenticity") if rng.random() < 0.6 else "",
            "contact": rng.choice(self.contacts).replace("{n}", str(rng.randrange(100000, 999999))),
            "report": self.pick(rng, "report", "seized"), "qty": rng.choice(self.frames.get("qty", ["2 kg"])),
            "depiction": self.pick(rng, "depiction", "toy"), "wanted": self.pick(rng, "wanted", "WTB"),
            "item": self._item(rng),
        }
        text = template
        for key, value in values.items():
            text = text.replace("{" + key + "}", value)
        return " ".join(text.split()).strip(" ,")

    def _item(self, rng: random.Random) -> str:
        innocent = self.cues.get("innocent") or []
        if innocent and rng.random() < 0.35:
            return rng.choice(innocent)  # "ivory colour", "hổ phách": a wildlife word in an innocent sense
        return rng.choice(self.frames.get("items", ["chair"]))


def _variants(text: str, rng: random.Random) -> Iterator[str]:
    yield text
    yield text.lower()
    yield _strip_accents(text) if rng.random() < 0.5 else text.upper()


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c)).replace("đ", "d")


def _example(text: str, lang: str, family: str, group: str, rng: random.Random, label: int | None = None) -> Example:
    if rng.random() < 0.15:  # sellers type without diacritics, in lower case
        text = _strip_accents(text).lower()
    digest = hashlib.sha256(f"{group}\t{text}".encode()).hexdigest()
    # news and pages are prose in the text field; a listing is a title or a description
    title, body = (None, text) if family in ("news", "info") or rng.random() < 0.5 else (text, None)
    listing = Listing(id=f"syn-{digest[:16]}", title=title, text=body, lang=None, input_sha256=digest,
                      extra={"frame": group})
    return Example(listing, int(family in POSITIVE) if label is None else label, family, group)
