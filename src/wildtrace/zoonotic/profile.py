"""Zoonotic risk profile of a traded taxon, and the scan enricher that adds it.

A profile shows the evidence and its limits (see ``docs/zoonotic.md``): the
viruses recorded in the host that are also recorded in people (HP3, VIRION), the
priority pathogens among them, the study effort, a taxonomic prior labelled as
inferred when the host has no records, and a tier from ``tier.py``. It is not a
diagnosis and not a probability of infection.
"""

from __future__ import annotations

import threading
from typing import Any

from wildtrace import manifest
from wildtrace.scan import reasons
from wildtrace.scan.reasons import Reason
from wildtrace.scan.result import ScanResult
from wildtrace.taxa import cache as refcache
from wildtrace.taxa import refdata
from wildtrace.zoonotic import origin
from wildtrace.zoonotic import tier as tiers
from wildtrace.zoonotic.hosts import Evidence, HostRow
from wildtrace.zoonotic.hosts import default as default_evidence
from wildtrace.zoonotic.resolve import Basis, Resolver

DISCLAIMER = ("Not a diagnosis: this profile summarises published host-virus records (HP3, VIRION). "
              "It does not say that an animal or product is infected, and absence of records is not "
              "absence of risk.")
#: What the profile can see, said in every profile: viruses only.
SCOPE = ("Viruses only: built from host-virus records (HP3, VIRION). Bacterial, parasitic and fungal "
         "zoonoses are not covered, e.g. psittacosis (Chlamydia psittaci) from parrots, salmonellosis from "
         "reptiles, tuberculosis, leptospirosis, plague or anthrax.")
#: The exposure used when the trade form is not stated (and no --exposure is given).
DEFAULT_EXPOSURE = "medium"
EXPOSURE_WORDS = {
    "high": "high exposure: live animals, meat, blood, organs or bile",
    "medium": "medium exposure: eggs, medicines, extracts, or a form not stated",
    "low": "low exposure: dried, tanned, carved or processed products",
}
_EXPOSURE_RANK = {"low": 0, "medium": 1, "high": 2}


def exposure_of(product_types: list[str], ev: Evidence) -> tuple[str, list[str]]:
    """The highest exposure among the product types (``medium`` when none is known), and those types."""
    best, which = "", []
    for p in product_types:
        e = ev.exposure.get(p)
        if e is None:
            continue
        if not best or _EXPOSURE_RANK[e] > _EXPOSURE_RANK[best]:
            best, which = e, [p]
        elif e == best:
            which.append(p)
    return (best or "medium"), which


def _named_reasons(row: HostRow, ev: Evidence, shown: int = 8) -> list[str]:
    """Name the viruses shared with humans (natural records), and those left out and why."""
    out: list[str] = []
    if row.shared_names:
        names = [ev.origins.display(n, row.class_) for n in row.shared_names]
        more = f", and {len(names) - shown} more" if len(names) > shown else ""
        listed = f"{', '.join(names[:shown])}{more}".rstrip(".")
        out.append(f"Shared with humans, from natural infections ({len(names)} named; HP3 and VIRION name "
                   f"some viruses differently): {listed}.")
    groups: dict[str, list[str]] = {}
    for item in row.not_counted:
        virus, _, why = item.rpartition("=")
        text = ev.origins.display(virus, row.class_)
        note = ev.origins.note(virus, row.class_)
        if why == origin.NOT_MEANINGFUL and note is not None and note.note:
            text += f" ({note.note})"
        groups.setdefault(why, []).append(text)
    for why, names in groups.items():
        out.append(f"Not counted toward the tier ({origin.WORDS.get(why, why)}): {'; '.join(names)}.")
    if row.priority_not_natural:
        labels = [ev.priorities[c].label for c in row.priority_not_natural if c in ev.priorities]
        out.append(f"Not counted: priority pathogens recorded in this host only from experiments, captivity "
                   f"or people: {', '.join(labels)}.")
    return out


def _evidence_reasons(name: str, b: Basis, ev: Evidence) -> list[str]:
    rules = ev.rules
    row = b.row
    out: list[str] = []
    if row is not None:
        where = (f"{name} (NCBI taxid {row.taxid}, matched by {b.via})" if b.basis == "species" and row.taxid
                 else f"{name} (matched by {b.via})" if b.basis == "species"
                 else f"{name}: pooled over {b.basis} {row.name.capitalize()} ({b.via}; "
                      f"{row.members} species with records, {row.members_shared} share a virus with humans)")
        text = f"Evidence for {where}: "
        if row.records:
            text += (f"VIRION records {row.viruses} viruses, {row.shared} also recorded in humans "
                     f"({row.shared_seq} with a sequence record, {row.shared_lit} from literature only)")
        if row.hp3_viruses:
            text += ("; " if row.records else "") + (
                f"HP3 records {row.hp3_viruses} viruses, {row.hp3_zoonotic} zoonotic ({row.hp3_z_q2} by "
                f"isolation or PCR, {row.hp3_z_q1} by neutralisation, {row.hp3_z_q0} by other serology only)")
        out.append(text + ".")
        if row.priority:
            strong = [ev.priorities[c].label for c in row.priority_strong if c in ev.priorities]
            weak = [ev.priorities[c].label for c in row.priority if c not in row.priority_strong
                    and c in ev.priorities]
            parts = []
            if strong:
                parts.append(", ".join(strong) + " (sequence, isolation or PCR evidence)")
            if weak:
                parts.append(", ".join(weak) + " (literature or serology only)")
            who = "Recorded host of" if b.basis == "species" else "Members are recorded hosts of"
            out.append(f"{who} priority pathogens: {'; '.join(parts)}.")
        out += _named_reasons(row, ev)
        effort = tiers.sampling(row.records, rules)
        line = f"Study effort: {row.records} VIRION records ({effort})"
        if row.hp3_cites:
            line += f", {row.hp3_cites} Zoological Record citations (HP3)"
        if effort == "poorly sampled" and not row.shared_any:
            line += "; few records, so absence of known viruses is not evidence of absence"
        out.append(line + ".")
        if b.also:
            out.append(f"Also recorded under {', '.join(b.also)} (not pooled).")
    elif b.prior is not None:
        p = b.prior
        out.append(f"Inferred, not observed: {b.via}; {round(p.rate * p.members)} of {p.members} sampled "
                   f"species share a virus with humans and {round(p.priority_rate * p.members)} host a "
                   f"priority pathogen.")
    else:
        out.append(f"Data-deficient: {b.via}. Absence of records is not absence of risk.")
    return out


class Profiler:
    """Builds zoonotic objects for taxa; caches one per taxon. Build once, reuse."""

    def __init__(self, ref: refdata.ReferenceData | None = None, ev: Evidence | None = None):
        self.ref = ref if ref is not None else refcache.load()  # parsed once (taxa/cache.py)
        self.ev = ev if ev is not None else default_evidence()
        self.resolver = Resolver(self.ref, self.ev)
        self._plants = frozenset(self.ev.rules.get("plant_classes") or ())
        self._cache: dict[tuple[str, str], tuple[Basis, str, float, list[str]]] = {}
        self._out: dict[tuple[str, str, str], dict[str, Any]] = {}
        meta = self.ev.meta
        self.provenance = {  # the datasets and their versions are in ``credits``
            "summary_built_at": meta.get("built_at", ""),
            "summary_input_sha256": str(meta.get("input_sha256", ""))[:16],
            "rules_version": str(self.ev.rules.get("version", "")),
            "data_sha256": manifest.sha256("zoonotic")[:16],  # every file of data/zoonotic (manifest.py)
        }
        self.credits = "Data: " + self.ev.credits

    def assess(self, name: str, rank: str = "species", family: str | None = None, order: str | None = None,
               class_: str | None = None) -> tuple[Basis, str, float, list[str]]:
        """(basis, hazard class, score, evidence reasons) for a taxon; cached."""
        key = (name, rank)
        hit = self._cache.get(key)
        if hit is None:
            taxon = self.ref.taxon(name)
            cls = (taxon.class_ if taxon is not None else None) or class_
            plant = cls in self._plants
            b = (Basis(None, "none", "a plant: vertebrate virus datasets do not apply") if plant
                 else self.resolver.evidence(name, rank, family=family, order=order, class_=class_))
            haz = tiers.hazard(b.row, b.prior, self.ev.rules, plant=plant)
            reasons = ([f"{name} is a plant: plants do not host the vertebrate viruses in HP3 and VIRION."]
                       if plant else _evidence_reasons(name, b, self.ev))
            hit = (b, haz, tiers.score(b.row, b.prior, self.ev.rules), reasons)
            self._cache[key] = hit
        return hit

    def effort_adjusted(self, b: Basis, name: str, family: str | None = None) -> float | None:
        """``tier.effort_adjusted`` for a taxon: its own row, or its family's for a host with no
        records; None for a higher taxon (pooled rows) or a plant."""
        if b.basis == "species":
            return tiers.effort_adjusted(b.row, None)
        if b.basis not in ("inferred", "none") or b.via.startswith("a plant"):
            return None
        taxon = self.ref.taxon(name)
        fam = (taxon.family if taxon is not None else None) or family
        return tiers.effort_adjusted(None, self.ev.row("family", fam) if fam else None, b.prior)

    def zoonotic(self, name: str, rank: str, exposure: str, products: list[str] | tuple[str, ...] = (),
                 family: str | None = None, order: str | None = None, class_: str | None = None) -> dict[str, Any]:
        """The ``zoonotic`` object for one taxon in one trade context (a fresh dict)."""
        key = (name, rank, exposure + "|" + ",".join(products))
        out = self._out.get(key)
        if out is None:
            b, haz, score, ev_reasons = self.assess(name, rank, family, order, class_)
            t = tiers.tier(haz, exposure)
            form = (f"Trade form: {', '.join(products)} ({EXPOSURE_WORDS[exposure]})" if products
                    else f"Exposure {exposure} ({EXPOSURE_WORDS[exposure]})")
            row: HostRow | None = b.row
            adjusted = self.effort_adjusted(b, name, family)
            ranking = self.ev.rules.get("ranking") or {}
            note = [str(ranking["note"])] if ranking.get("note") else []
            rank_reason = [str(ranking["reason"])] if ranking.get("reason") else []
            out = {
                "tier": t,
                "hazard": haz,
                "basis": b.basis,
                "exposure": exposure,
                "score": round(score, 3),
                "sampling": tiers.sampling(row.records, self.ev.rules) if row is not None else "no records",
                "priority_pathogens": list(row.priority) if row is not None else [],
                "effort_adjusted": round(adjusted, 3) if adjusted is not None else None,
                "notes": note,
                "reasons": [*ev_reasons, form + ".", f"Tier {t}: hazard '{haz}' with {exposure} exposure "
                            f"(rule {self.provenance['rules_version']}).", *rank_reason],
                "provenance": {**self.provenance, "records": row.records if row is not None else 0,
                               "sources": row.sources if row is not None else ""},
                "credits": self.credits,
                "disclaimer": DISCLAIMER,
                "scope": SCOPE,
            }
            if len(self._out) < 50_000:
                self._out[key] = out
        return {**out, "reasons": list(out["reasons"]), "priority_pathogens": list(out["priority_pathogens"]),
                "notes": list(out["notes"])}

    def enrich(self, result: ScanResult) -> None:
        exposure, products = exposure_of(result.product_types, self.ev)
        for taxon in result.taxa:
            name = taxon.get("scientific_name")
            if not name:
                continue
            z = self.zoonotic(name, taxon.get("rank") or "species", exposure, products,
                              taxon.get("family"), taxon.get("order"), taxon.get("class"))
            taxon["zoonotic"] = z
            if z["tier"] == tiers.HIGH and exposure == "high" and result.verdict == "wildlife_offer":
                labels = [self.ev.priorities[c].label for c in z["priority_pathogens"] if c in self.ev.priorities]
                args = {"taxon": name, "basis": "" if z["basis"] == "species" else z["basis"],
                        "products": list(products)}
                reasons.add(result, Reason("zoonotic.hosts", {**args, "pathogens": labels}) if labels
                            else Reason("zoonotic.viruses", args))


_LOCK = threading.Lock()
_DEFAULT: Profiler | None = None


def default() -> Profiler:
    """The profiler over the built-in reference data and the shipped summary (built once, lazily)."""
    global _DEFAULT
    if _DEFAULT is None:
        with _LOCK:
            if _DEFAULT is None:
                _DEFAULT = Profiler()
    return _DEFAULT


def warm() -> None:
    """Load the summary now (called when the scanner starts)."""
    default()


def enrich(result: ScanResult) -> None:
    """Scan enricher: add a ``zoonotic`` object (tier, reasons, credits) to each taxon."""
    default().enrich(result)
