"""Summary of a scan run: counts by verdict, species, product and language, rejects, top risks."""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from wildtrace.scan.readers import Reject
from wildtrace.scan.result import VERDICTS, ScanResult

MAX_REJECTS_KEPT = 1000


@dataclass
class Summary:
    top_n: int = 10
    scanned: int = 0
    verdicts: Counter[str] = field(default_factory=Counter)
    species: Counter[str] = field(default_factory=Counter)
    products: Counter[str] = field(default_factory=Counter)
    languages: Counter[str] = field(default_factory=Counter)
    appendices: Counter[str] = field(default_factory=Counter)
    rejected: int = 0
    rejects: list[Reject] = field(default_factory=list)
    interrupted: bool = False  # the run was stopped (Ctrl-C) before its input ended
    _top: list[tuple[float, int, dict[str, Any]]] = field(default_factory=list)

    def add(self, item: ScanResult | Reject) -> None:
        if isinstance(item, Reject):
            self.rejected += 1
            if len(self.rejects) < MAX_REJECTS_KEPT:
                self.rejects.append(item)
            return
        self.scanned += 1
        self.verdicts[item.verdict] += 1
        self.languages[item.lang] += 1
        if item.verdict == "wildlife_offer":
            for taxon in item.taxa:
                self.species[taxon["scientific_name"]] += 1
                self.appendices[taxon["cites_appendix"]] += 1
            for product in item.product_types:
                self.products[product] += 1
        entry = {"id": item.id, "risk_score": item.risk_score, "verdict": item.verdict,
                 "taxa": [t["scientific_name"] for t in item.taxa],
                 "title": (item.listing.get("title") or item.listing.get("text") or "")[:70],
                 "reason": item.reasons[0] if item.reasons else ""}
        key = (item.risk_score, -self.scanned, entry)
        if len(self._top) < self.top_n:
            heapq.heappush(self._top, key)
        elif key[:2] > self._top[0][:2]:
            heapq.heapreplace(self._top, key)

    @property
    def top(self) -> list[dict[str, Any]]:
        return [e for _, _, e in sorted(self._top, key=lambda k: (k[0], k[1]), reverse=True)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "scanned": self.scanned,
            "rejected": self.rejected,
            "verdicts": {v: self.verdicts.get(v, 0) for v in VERDICTS},
            "species": dict(self.species.most_common()),
            "products": dict(self.products.most_common()),
            "languages": dict(self.languages.most_common()),
            "cites_appendices": dict(self.appendices.most_common()),
            "top": self.top,
            "rejects": [r.to_dict() for r in self.rejects],
        }

    def render(self) -> str:
        """Plain text for a terminal."""
        lines = [f"Scanned {self.scanned:,} listings; rejected {self.rejected:,}."]
        lines.append("Verdicts: " + ", ".join(f"{v} {self.verdicts.get(v, 0):,}" for v in VERDICTS))
        if self.species:
            lines.append("Species/taxa in offers: " + ", ".join(f"{k} {n}" for k, n in self.species.most_common(10)))
        if self.products:
            lines.append("Products in offers: " + ", ".join(f"{k} {n}" for k, n in self.products.most_common(10)))
        if self.languages:
            lines.append("Languages: " + ", ".join(f"{k} {n}" for k, n in self.languages.most_common()))
        if self.top:
            lines.append(f"Top {len(self.top)} by risk:")
            for i, e in enumerate(self.top, 1):
                taxa = ", ".join(e["taxa"][:3]) or "-"
                lines.append(f"{i:>3}. {e['risk_score']:.2f}  {e['verdict']:<17} {e['id']:<10} {taxa}")
                lines.append(f"       {e['title']}")
                if e["reason"]:
                    lines.append(f"       why: {e['reason']}")
        if self.rejects:
            lines.append("Rejected records:")
            for r in self.rejects[:20]:
                lines.append(f"  line {r.line}: {r.reason}")
            if self.rejected > 20:
                lines.append(f"  … and {self.rejected - 20:,} more (see --rejects)")
        return "\n".join(lines)
