"""One species, everything WildTrace knows: names, CITES status, products, zoonotic profile.

Used by ``wildtrace species NAME``. An unknown or ambiguous name gives
``status: unresolved`` with candidate names, never a guess.
"""

from __future__ import annotations

from typing import Any

from wildtrace.errors import Invalid
from wildtrace.taxa.refdata import Taxon
from wildtrace.zoonotic import gippet
from wildtrace.zoonotic.profile import DEFAULT_EXPOSURE, EXPOSURE_WORDS, Profiler, exposure_of
from wildtrace.zoonotic.profile import default as default_profiler


def _products(taxon: Taxon, p: Profiler) -> list[str]:
    """Product types the reference data ties to this taxon or an enclosing one."""
    names = {taxon.scientific_name, taxon.family, taxon.order, taxon.class_, taxon.parent}
    out: list[str] = []
    for prod in p.ref.products:
        if any(t in names for t in prod.implies.values()) and prod.product_type not in out:
            out.append(prod.product_type)
    for cw in p.ref.codewords:
        if cw.means_taxon in names and cw.means_product and cw.means_product not in out:
            out.append(cw.means_product)
    return out


def _enclosing_taxon(p: Profiler, genus: str | None, family: str | None, order: str | None) -> Any:
    """The nearest WildTrace taxon (genus, then family, then order) enclosing a VIRION/HP3 host."""
    if (genus or "").casefold() == "homo":
        return None  # Hominidae is listed; people are not
    for name in (genus, family, order):  # VIRION names are lower case; taxa files capitalise them
        taxon = p.ref.taxon(name.capitalize()) if name else None
        if taxon is not None:
            return taxon
    return None


def species_profile(query: str, profiler: Profiler | None = None,
                    product_types: list[str] | None = None, exposure: str | None = None) -> dict[str, Any]:
    """The profile of the taxon ``query`` names (see docs/zoonotic.md for each field).

    ``exposure`` (high, medium, low) overrides the exposure the product types imply; with neither,
    the exposure is ``DEFAULT_EXPOSURE`` (medium), and the profile says so.
    """
    p = profiler or default_profiler()
    res = p.resolver.name(query)
    if res.status != "resolved":
        return {"query": query, "status": "unresolved", "reason": res.via, "candidates": list(res.candidates)}
    out: dict[str, Any] = {"query": query, "status": "resolved", "resolved_via": res.via}
    if res.taxon is not None:
        t = res.taxon
        name, rank, family, order, class_ = t.scientific_name, t.rank, t.family, t.order, t.class_
        out.update({
            "scientific_name": name, "rank": rank, "class": class_, "order": order, "family": family,
            "synonyms": list(t.synonyms), "common_names": {k: list(v) for k, v in t.names.items()},
            "cites_appendix": t.cites_appendix,
            "cites_annotation": t.cites_annotation,
            "cites_source": t.cites_source or t.source, "cites_as_of": t.cites_as_of,
            "products": _products(t, p),
        })
    else:
        host = res.host
        assert host is not None
        name, rank = host.name.capitalize(), host.level
        family, order, class_ = host.family or None, host.order or None, host.class_ or None
        out.update({"scientific_name": name, "rank": rank, "class": class_, "order": order, "family": family,
                    "ncbi_taxid": host.taxid or None, "cites_appendix": None,
                    "note": "Not in WildTrace's taxa (CITES status unknown here); found in the VIRION/HP3 summary."})
        higher = _enclosing_taxon(p, host.genus, family, order)
        if higher is not None:  # the species is not in the taxa files; its genus, family or order is
            out["cites_appendix"] = higher.cites_appendix
            out["cites_via"] = f"{higher.rank} {higher.scientific_name}"
            out["cites_annotation"] = (f"from the enclosing {higher.rank} {higher.scientific_name}: the species "
                                       "itself is not in WildTrace's taxa" + (
                                           f"; {higher.cites_annotation}" if higher.cites_annotation else ""))
            out["cites_source"] = higher.cites_source or higher.source
            out["cites_as_of"] = higher.cites_as_of
            out["note"] = (f"Not in WildTrace's taxa; CITES status of its {higher.rank} "
                           f"{higher.scientific_name}; found in the VIRION/HP3 summary.")
    products = list(product_types or [])
    exposure_given = exposure
    exposure = DEFAULT_EXPOSURE
    if products:
        exposure, products = exposure_of(products, p.ev)
    if exposure_given is not None:
        if exposure_given not in EXPOSURE_WORDS:
            raise Invalid(f"exposure must be one of {', '.join(EXPOSURE_WORDS)}, not {exposure_given!r}")
        exposure = exposure_given
    z = p.zoonotic(name, rank, exposure, products, family, order, class_)
    b, _, _, _ = p.assess(name, rank, family, order, class_)
    z["tier_by_exposure"] = {e: p.zoonotic(name, rank, e, (), family, order, class_)["tier"]
                             for e in EXPOSURE_WORDS}
    z["matched"] = {"level": b.basis, "name": b.row.name if b.row else None,
                    "ncbi_taxid": (b.row.taxid or None) if b.row else None, "via": b.via,
                    "also": list(b.also)}
    if b.row is not None:
        r = b.row
        z["evidence"] = {
            "viruses_virion": r.viruses, "shared_with_humans_virion": r.shared,
            "shared_sequence": r.shared_seq, "shared_literature_only": r.shared_lit,
            "viruses_hp3": r.hp3_viruses, "zoonotic_hp3": r.hp3_zoonotic,
            "zoonotic_hp3_isolation_pcr": r.hp3_z_q2, "zoonotic_hp3_neutralisation": r.hp3_z_q1,
            "zoonotic_hp3_serology": r.hp3_z_q0,
            "priority_strong": list(r.priority_strong),
            "virus_families": list(r.families), "records_virion": r.records,
            "hp3_zoological_record_citations": r.hp3_cites, "sources": r.sources,
        }
        if b.basis != "species":
            z["evidence"].update({"members_with_records": r.members, "members_sharing": r.members_shared,
                                  "members_with_priority": r.members_priority})
    if b.prior is not None:
        z["prior"] = {"level": b.prior.level, "name": b.prior.name, "members": b.prior.members,
                      "rate_shared": round(b.prior.rate, 3), "rate_priority": round(b.prior.priority_rate, 3),
                      "label": "inferred"}
    z["priority_pathogen_labels"] = {c: p.ev.priorities[c].label for c in z["priority_pathogens"]
                                     if c in p.ev.priorities}
    out["zoonotic"] = z
    g = _gippet(name, out.get("synonyms") or [])
    if g is not None:
        out["gippet"] = g
    return out


def _gippet(name: str, synonyms: list[str]) -> dict[str, Any] | None:
    """The species' row of Gippet et al. 2026 (mammals only), by accepted name or a synonym."""
    table = gippet.default()
    for n in (name, *synonyms):
        row = table.get(" ".join(n.lower().split()))
        if row is not None:
            return {"species": row.species, "traded": row.traded, "traded_live": row.traded_live,
                    "traded_illegal": row.traded_illegal, "zoonotic_pathogens": row.zoonotic_pathogens,
                    "zoonotic_viruses": row.zoonotic_viruses, "pubmed_log": row.pubmed_log,
                    "research_effort_index": row.research_effort_index, "text": gippet.describe(row),
                    "citation": gippet.CITATION}
    return None


def render_text(profile: dict[str, Any]) -> str:
    """A short plain-text view of ``species_profile`` output."""
    if profile["status"] != "resolved":
        lines = [f"{profile['query']}: unresolved ({profile.get('reason', '')})"]
        if profile.get("candidates"):
            lines.append("Did you mean: " + ", ".join(profile["candidates"]))
        return "\n".join(lines)
    z = profile["zoonotic"]
    en = (profile.get("common_names") or {}).get("en") or []
    lines = [f"{profile['scientific_name']} ({profile['rank']})" + (f" — {', '.join(en[:3])}" if en else ""),
             f"Resolved via: {profile['resolved_via']}"]
    if profile.get("synonyms"):
        lines.append("Synonyms: " + ", ".join(profile["synonyms"]))
    cites = profile.get("cites_appendix") or "unknown (not in WildTrace taxa)"
    if profile.get("cites_via"):
        cites += f" (from the enclosing {profile['cites_via']})"
    lines.append(f"CITES: {cites}")
    if profile.get("products"):
        lines.append("Products in trade: " + ", ".join(profile["products"]))
    lines.append(f"Zoonotic tier: {z['tier']} (exposure {z['exposure']}); by trade form: "
                 + "; ".join(f"{e}: {t}" for e, t in z["tier_by_exposure"].items()))
    lines += [f"  - {r}" for r in z["reasons"]]
    if z.get("effort_adjusted") is not None:
        lines.append(f"Effort-adjusted rank score: {z['effort_adjusted']} (study effort plus the natural "
                     "evidence: how to rank hosts, see the Ranking line and the note)")
    if profile.get("gippet"):
        lines.append(profile["gippet"]["text"])
    lines += [f"Note: {n}" for n in z.get("notes", [])]
    lines.append(z["credits"])
    lines.append(z["disclaimer"])
    lines.append(z["scope"])
    return "\n".join(lines)
