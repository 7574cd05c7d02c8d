"""Build the zoonotic evidence summary from the raw HP3 and VIRION files.

Used by ``scripts/build_zoonotic.py`` (which writes ``data/zoonotic/summary.csv``)
and by the temporal holdout (``wildtrace.zoonotic.holdout``), which builds the
same table from the records published up to a cut-off year.

Evidence strength of a host-virus record:
- VIRION: ``sequence`` when one of its records is a GenBank sequence (it has a
  GenBank release date), else ``literature`` (this VIRION release carries no
  detection method, so a literature record may be serology);
- HP3: its ``DetectionQuality``: 2 isolation or PCR/sequencing, 1 neutralisation,
  0 other serology.
A virus is "shared with humans" in VIRION when VIRION also records it in
*Homo sapiens* (NCBI taxid 9606), and in HP3 when HP3 flags it ``IsZoonotic``.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

from wildtrace.errors import DataError
from wildtrace.zoonotic import origin as origins
from wildtrace.zoonotic.summary import (
    COLUMNS,
    LEVELS,
    Priority,
    priority_codes,
)

HUMAN_TAXID = "9606"
@dataclass
class Host:
    """One host taxon in the raw data, with its virus records."""

    name: str  # lower-case binomial, or "" for a genus-level record
    taxid: str
    genus: str
    family: str
    order: str
    class_: str
    # virus id -> its records: (year or 0 when undated, GenBank sequence record?)
    virion: dict[str, list[tuple[int, bool]]] = field(default_factory=dict)
    hp3: dict[str, int] = field(default_factory=dict)  # HP3 virus name -> best detection quality
    hp3_cites: int = 0
    # HP3 viruses recorded in this (wild) host only in captive or laboratory animals
    # (HP3 ``WildDomInReference`` "domestic" or "captive" for a species HP3 calls wild)
    hp3_captive: set[str] = field(default_factory=set)


@dataclass
class Index:
    """The raw records, joined, ready to summarise at any cut-off year."""

    hosts: dict[str, Host]  # key: taxid, or "hp3:<name>" for HP3 hosts VIRION lacks
    virus_name: dict[str, str]
    virus_family: dict[str, str]
    virus_priority: dict[str, tuple[str, ...]]
    human_first_year: dict[str, int]  # virus id -> first year recorded in humans (0 undated)
    hp3_zoonotic: frozenset[str]
    hp3_family: dict[str, str]
    hp3_priority: dict[str, tuple[str, ...]]
    versions: dict[str, str]
    origins: origins.Origins = field(default_factory=lambda: origins.Origins((), ()))
    hp3_reverse: frozenset[str] = frozenset()  # HP3 viruses flagged ReverseZoonoses (human viruses)


def _clean(value: str | None) -> str:
    value = (value or "").strip()
    return "" if value in ("NA", "NaN") else value


def _year(value: str) -> int:
    value = _clean(value)
    return int(value) if value.isdigit() else 0


def read_index(virion_dir: Path, hp3_dir: Path | None, priorities: list[Priority],
               lineage: dict[str, frozenset[str]] | None = None,
               origin_rules: origins.Origins | None = None) -> Index:
    """Read VIRION (and HP3, when given) into one joined index.

    ``lineage`` (virus taxid -> lineage names, ``load_lineage``) resolves viruses that VIRION
    names by strain or host ("pangolin coronavirus") to the priority group of their lineage.
    ``origin_rules`` (``origin.load``) marks experimental and reverse-zoonotic records, which
    ``summarise`` then leaves out of the counts.
    A virus counts as recorded in humans when its human record is dated or repeated: a single
    undated human record (e.g. reptilian ferlavirus) is not enough.
    """
    lineage = lineage or {}
    csv.field_size_limit(sys.maxsize)  # VIRION packs thousands of AssocIDs into one field
    for path in (virion_dir / "Edgelist.csv", virion_dir / "TaxonomyHost.csv",
                 virion_dir / "TaxonomyVirus.csv", virion_dir / "Temporal.csv.gz"):
        if not path.exists():
            raise DataError(f"missing VIRION file {path}")
    year: dict[int, tuple[int, bool]] = {}
    with gzip.open(virion_dir / "Temporal.csv.gz", "rt", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            pub, rel = _year(row["PublicationYear"]), _year(row["ReleaseYear"])
            year[int(row["AssocID"])] = (pub or rel, rel > 0)
    hosts: dict[str, Host] = {}
    with open(virion_dir / "TaxonomyHost.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            hosts[row["HostTaxID"]] = Host(
                name=_clean(row["Host"]).lower(), taxid=row["HostTaxID"], genus=_clean(row["HostGenus"]).lower(),
                family=_clean(row["HostFamily"]).lower(), order=_clean(row["HostOrder"]).lower(),
                class_=_clean(row["HostClass"]).lower())
    virus_name: dict[str, str] = {}
    virus_family: dict[str, str] = {}
    virus_priority: dict[str, tuple[str, ...]] = {}
    with open(virion_dir / "TaxonomyVirus.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            vid = row["VirusTaxID"]
            virus_name[vid] = _clean(row["Virus"]).lower()
            virus_family[vid] = _clean(row["VirusFamily"]).lower()
            virus_priority[vid] = priority_codes(priorities, virus_name[vid], _clean(row["VirusGenus"]),
                                                 lineage.get(vid, frozenset()))
    human: dict[str, int] = {}
    with open(virion_dir / "Edgelist.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            ids = [int(x) for x in row["AssocID"].replace(" ", "").split(",") if x]
            dated = [year.get(i, (0, False)) for i in ids]
            host_id, vid = row["HostTaxID"], row["VirusTaxID"]
            if host_id == HUMAN_TAXID:
                years = [y for y, _ in dated if y]
                if years or len(ids) > 1:  # one undated human record is not enough
                    human[vid] = min(years) if years else 0
                continue
            host = hosts.get(host_id)
            if host is not None:
                host.virion.setdefault(vid, []).extend(dated)
    hp3_zoonotic: set[str] = set()
    hp3_family: dict[str, str] = {}
    hp3_priority: dict[str, tuple[str, ...]] = {}
    hp3_reverse: set[str] = set()
    versions = {"VIRION": "2021 release (CC0 1.0), Carlson et al. 2022, mBio 13: e02985-21"}
    if hp3_dir is not None:
        _read_hp3(hp3_dir, hosts, priorities, hp3_zoonotic, hp3_family, hp3_priority, hp3_reverse)
        versions["HP3"] = "Olival et al. 2017, Nature 546: 646-650 (EcoHealth Alliance, MIT licence)"
    return Index(hosts, virus_name, virus_family, virus_priority, human, frozenset(hp3_zoonotic),
                 hp3_family, hp3_priority, versions, origin_rules or origins.Origins((), ()),
                 frozenset(hp3_reverse))


def _read_hp3(hp3_dir: Path, hosts: dict[str, Host], priorities: list[Priority], zoonotic: set[str],
              families: dict[str, str], prio: dict[str, tuple[str, ...]], reverse: set[str]) -> None:
    by_name: dict[str, Host] = {h.name: h for h in hosts.values() if h.name}
    with open(hp3_dir / "viruses.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            name = row["vVirusNameCorrected"]
            families[name] = _clean(row["vFamily"]).lower()
            prio[name] = priority_codes(priorities, name, _clean(row["vGenus"]))
            if _clean(row["IsZoonotic"]) == "1":
                zoonotic.add(name)
            if _clean(row.get("ReverseZoonoses")) == "1":
                reverse.add(name)
    hp3_hosts: dict[str, Host] = {}
    wild_hosts: set[str] = set()
    with open(hp3_dir / "hosts.csv", encoding="latin-1", newline="") as fh:
        for row in csv.DictReader(fh):
            raw = row["hHostNameFinal"]
            name = raw.replace("_", " ").lower()
            host = by_name.get(name)
            if host is None:  # try the IUCN synonyms HP3 lists
                for syn in (row.get("Synonyms") or "").split("|"):
                    host = by_name.get(" ".join(syn.split()).lower())
                    if host is not None:
                        break
            if host is None:
                host = Host(name=name, taxid="", genus=name.split()[0], family=row["hFamily"].lower(),
                            order=row["hOrder"].lower(), class_="mammalia")
                hosts[f"hp3:{name}"] = host
                by_name[name] = host
            c = _clean(row.get("hAllZACites"))
            host.hp3_cites = int(float(c)) if c else 0
            hp3_hosts[raw] = host
            if _clean(row.get("hWildDomFAO")) == "wild":
                wild_hosts.add(raw)
    with open(hp3_dir / "associations.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            assoc_host = hp3_hosts.get(row["hHostNameFinal"])
            if assoc_host is None:
                continue
            q = _clean(row["DetectionQuality"])
            quality = int(q) if q.isdigit() else 0
            virus = row["vVirusNameCorrected"]
            captive = (row["hHostNameFinal"] in wild_hosts
                       and _clean(row.get("WildDomInReference")) in ("domestic", "captive"))
            if captive and virus not in assoc_host.hp3:
                assoc_host.hp3_captive.add(virus)
            elif not captive:
                assoc_host.hp3_captive.discard(virus)
            assoc_host.hp3[virus] = max(quality, assoc_host.hp3.get(virus, -1))


def host_records(idx: Index, host: Host, cutoff: int | None = None) -> tuple[dict[str, bool], set[str], int]:
    """At a cut-off year: {virus id: has a sequence record} for the host's kept VIRION
    records, the virus ids then shared with humans, and the number of records kept.

    Without a cut-off every record counts, dated or not.
    """
    kept: dict[str, bool] = {}
    n = 0
    for vid, recs in host.virion.items():
        if cutoff is not None:
            recs = [r for r in recs if 0 < r[0] <= cutoff]
        if recs:
            kept[vid] = any(seq for _, seq in recs)
            n += len(recs)
    if cutoff is None:
        shared = {v for v in kept if v in idx.human_first_year}
    else:
        shared = {v for v in kept if 0 < idx.human_first_year.get(v, 0) <= cutoff}
    return kept, shared, n


def record_origin(idx: Index, host: Host, virus: str, *, hp3: bool = False) -> str:
    """Where the host's record of ``virus`` (a VIRION or, with ``hp3``, an HP3 name) comes from:
    ``natural``, or why it does not count (``origin.WORDS``)."""
    kind, _ = idx.origins.classify(virus, host.name, host.genus, host.family, host.order)
    if kind == origins.NATURAL and hp3:
        if virus in idx.hp3_reverse:
            kind = origins.REVERSE
        elif virus in host.hp3_captive:
            kind = origins.CAPTIVE
    if kind == origins.NATURAL:
        note = idx.origins.note(virus, host.class_)
        if note is not None and not note.counts:
            kind = origins.NOT_MEANINGFUL
    return kind


@dataclass
class _Agg:
    name: str
    taxid: str = ""
    genus: str = ""
    family: str = ""
    order: str = ""
    class_: str = ""
    sources: set[str] = field(default_factory=set)
    records: int = 0
    hp3_cites: int = 0
    viruses: set[str] = field(default_factory=set)
    shared_seq: set[str] = field(default_factory=set)
    shared_lit: set[str] = field(default_factory=set)
    hp3_viruses: set[str] = field(default_factory=set)
    hp3_z: dict[str, int] = field(default_factory=dict)
    priority: set[str] = field(default_factory=set)
    priority_strong: set[str] = field(default_factory=set)
    priority_not_natural: set[str] = field(default_factory=set)
    families: set[str] = field(default_factory=set)
    shared_names: dict[str, int] = field(default_factory=dict)  # virus key -> records (species rows)
    not_counted: dict[str, str] = field(default_factory=dict)  # virus key -> why (species rows)
    members: int = 0
    members_shared: int = 0
    members_priority: int = 0


def _one(idx: Index, host: Host, cutoff: int | None) -> _Agg | None:
    """The evidence of one host: only natural records of viruses shared with humans count."""
    kept, shared, records = host_records(idx, host, cutoff)
    hp3 = host.hp3 if cutoff is None else {}
    if not kept and not hp3:
        return None
    one = _Agg(name=host.name, taxid=host.taxid, genus=host.genus, family=host.family,
               order=host.order, class_=host.class_)
    one.sources = ({"VIRION"} if kept else set()) | ({"HP3"} if hp3 else set())
    one.records = records
    one.hp3_cites = host.hp3_cites if cutoff is None else 0
    one.viruses = {f"v{v}" for v in kept}
    one.hp3_viruses = {f"h{v}" for v in hp3}
    one.families = {idx.virus_family[v] for v in kept if idx.virus_family.get(v)}
    one.families |= {idx.hp3_family[v] for v in hp3 if idx.hp3_family.get(v)}
    for v, seq in kept.items():
        name = idx.virus_name.get(v, "")
        codes = idx.virus_priority.get(v, ())
        if v not in shared and not codes:
            continue
        kind = record_origin(idx, host, name)
        if kind != origins.NATURAL:
            if name:
                one.not_counted[origins.virus_key(name)] = kind
            one.priority_not_natural.update(codes)
            continue
        if v in shared:
            (one.shared_seq if seq else one.shared_lit).add(f"v{v}")
            if name:
                one.shared_names[origins.virus_key(name)] = len(host.virion[v])
        for code in codes:
            one.priority.add(code)
            if seq:
                one.priority_strong.add(code)
    for v, q in hp3.items():
        codes = idx.hp3_priority.get(v, ())
        if v not in idx.hp3_zoonotic and not codes:
            continue
        kind = record_origin(idx, host, v, hp3=True)
        if kind != origins.NATURAL:
            one.not_counted.setdefault(origins.virus_key(v), kind)
            one.priority_not_natural.update(codes)
            continue
        if v in idx.hp3_zoonotic:
            one.hp3_z[f"h{v}"] = q
            one.shared_names.setdefault(origins.virus_key(v), 1)
        for code in codes:
            one.priority.add(code)
            if q >= 2:
                one.priority_strong.add(code)
    for key in one.shared_names:  # a natural record elsewhere wins over an excluded one
        one.not_counted.pop(key, None)
    one.priority_not_natural -= one.priority
    return one


def summarise(idx: Index, cutoff: int | None = None) -> list[dict[str, str]]:
    """One row per host species, genus, family, order and class (the columns in COLUMNS).

    With ``cutoff``, only VIRION records dated (published or released) up to
    that year count, HP3 is left out, and undated records are dropped. Experimental,
    reverse-zoonotic, captive-only and not-meaningful records (``record_origin``) are left out of
    the shared and priority counts; species rows name them in ``not_counted``.
    """
    aggs: dict[tuple[str, str], _Agg] = {}
    for host in idx.hosts.values():
        one = _one(idx, host, cutoff)
        if one is None:
            continue
        is_species = bool(host.name) and " " in host.name
        if is_species:
            _merge(aggs, ("species", host.name), one, member=False)
        for level, name in (("genus", host.genus), ("family", host.family), ("order", host.order),
                            ("class", host.class_)):
            if name:
                _merge(aggs, (level, name), one, member=is_species)
    rows = []
    for (level, name), a in sorted(aggs.items(), key=lambda kv: (LEVELS.index(kv[0][0]), kv[0][1])):
        species = level == "species"
        names = sorted(a.shared_names, key=lambda k: (-a.shared_names[k], k)) if species else []
        rows.append({
            "level": level, "name": name, "taxid": a.taxid if species else "",
            "genus": a.genus if species else "",
            "family": a.family if level in ("species", "genus") else "",
            "order": a.order if level in ("species", "genus", "family") else "",
            "class": a.class_ if level != "class" else "",
            "sources": "+".join(sorted(a.sources)), "records": str(a.records), "hp3_cites": str(a.hp3_cites),
            "viruses": str(len(a.viruses)), "shared": str(len(a.shared_seq | a.shared_lit)),
            "shared_seq": str(len(a.shared_seq)), "shared_lit": str(len(a.shared_lit - a.shared_seq)),
            "hp3_viruses": str(len(a.hp3_viruses)), "hp3_zoonotic": str(len(a.hp3_z)),
            "hp3_z_q2": str(sum(1 for q in a.hp3_z.values() if q >= 2)),
            "hp3_z_q1": str(sum(1 for q in a.hp3_z.values() if q == 1)),
            "hp3_z_q0": str(sum(1 for q in a.hp3_z.values() if q <= 0)),
            "priority": ";".join(sorted(a.priority)), "priority_strong": ";".join(sorted(a.priority_strong)),
            "priority_not_natural": ";".join(sorted(a.priority_not_natural - a.priority)),
            "families": ";".join(sorted(a.families)),
            "shared_names": ";".join(names),
            "not_counted": ";".join(f"{k}={v}" for k, v in sorted(a.not_counted.items())) if species else "",
            "members": str(a.members) if not species else "",
            "members_shared": str(a.members_shared) if not species else "",
            "members_priority": str(a.members_priority) if not species else "",
        })
    return rows


def _merge(aggs: dict[tuple[str, str], _Agg], key: tuple[str, str], one: _Agg, *, member: bool) -> None:
    a = aggs.get(key)
    if a is None:
        a = aggs[key] = _Agg(name=key[1], taxid=one.taxid, genus=one.genus, family=one.family,
                             order=one.order, class_=one.class_)
    a.sources |= one.sources
    a.records += one.records
    a.hp3_cites += one.hp3_cites
    a.viruses |= one.viruses
    a.shared_seq |= one.shared_seq
    a.shared_lit |= one.shared_lit
    a.hp3_viruses |= one.hp3_viruses
    for v, q in one.hp3_z.items():
        a.hp3_z[v] = max(q, a.hp3_z.get(v, -1))
    a.priority |= one.priority
    a.priority_strong |= one.priority_strong
    a.priority_not_natural |= one.priority_not_natural
    a.families |= one.families
    for k, n in one.shared_names.items():
        a.shared_names[k] = a.shared_names.get(k, 0) + n
    for k, why in one.not_counted.items():
        a.not_counted.setdefault(k, why)
    if member:
        a.members += 1
        a.members_shared += bool(one.shared_seq or one.shared_lit or one.hp3_z)
        a.members_priority += bool(one.priority)


def log_effort(records: int) -> float:
    """The study-effort baseline: log(1 + number of records)."""
    return math.log1p(records)


def write_summary(rows: list[dict[str, str]], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    data = buf.getvalue().encode("utf-8")
    if path.suffix == ".gz":  # mtime=0: the same rows give the same bytes
        with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
            gz.write(data)
    else:
        path.write_bytes(data)
