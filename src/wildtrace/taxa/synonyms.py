"""Scientific names in a Species+ ``SynonymsWithAuthors`` cell, without their authorities.

A cell is a run of names, each followed by its authority, separated by commas that also occur
inside authorities: ``Manis tricuspis Rafinesque, 1821, Phataginus tricuspis (Rafinesque, 1821)``,
``Hyla tinctoria Barbour and Loveridge, 1928``, ``Dendrobium nobile Rolfe non Lindl.``,
``Cattleya labiata auct.``, ``Aloe ferox var. incurva Baker``. Splitting on commas or matching
"a capitalised word and some lowercase words" turns authorities into names ("Barbour and",
"Rolfe non", "nobile auct"). Instead the cell is read word by word:

- a name is a genus (capitalised, letters only), an optional subgenus in brackets, a specific
  epithet (lowercase letters or hyphens, no full stop) and at most one infraspecific epithet,
  either after a rank word (``subsp.``, ``ssp.``, ``var.``, ``f.``, ``forma``) or directly
  (a zoological trinomial);
- a lowercase word that belongs to an authority (``and``, ``non``, ``ex``, ``in``, ``sensu``,
  ``auct``, ``de``, ``van``…) or ends with a full stop is never an epithet, so the name stops
  before it, and a capitalised word followed by one is an author, not a genus;
- everything after a name up to the next genus-and-epithet pair is its authority, except a rank
  word and epithet right after a species' authority (``Cycas revoluta Thunb. var. brevifrons
  Miq.``): that names the variety, and the species alone is not taken as a synonym.

Every name has the form ``Genus epithet [rank] [epithet]``; the rank word is kept for plants
(``var.``, ``subsp.``, ``f.``), as Species+ writes plant infraspecific names.
"""

from __future__ import annotations

import re

# Lowercase words of authorities (Latin, English, Romance and Germanic particles, nomenclatural
# remarks): a name never continues into one.
AUTHORITY_WORDS = frozenset({
    "and", "&", "et", "ex", "in", "non", "nec", "sensu", "auct", "auctt", "auctorum", "fide",
    "pro", "parte", "partim", "emend", "mult", "lato", "stricto", "hort", "hortorum", "nom",
    "nud", "illeg", "inval", "cons", "rej", "orth", "var", "comb", "nov", "stat", "sp", "spp",
    "cf", "aff", "y", "e", "und", "da", "das", "de", "del", "della", "der", "des", "di", "do",
    "dos", "du", "la", "le", "les", "den", "ten", "ter", "van", "von", "zu", "bin", "al", "el",
    "mihi", "nobis", "sic", "syn", "vel", "ms", "mss", "ined",
})
RANK_WORDS = {"subsp.": "subsp.", "ssp.": "subsp.", "subsp": "subsp.", "var.": "var.", "var": "var.",
              "f.": "f.", "forma": "f.", "fo.": "f.", "subvar.": "subvar."}
_GENUS = re.compile(r"^×?([A-Z][a-z]+(?:-[a-z]+)?)$")
_EPITHET = re.compile(r"^×?([a-z][a-z-]*[a-z])(,?)$")
_SUBGENUS = re.compile(r"^\([A-Z][a-z]+\)$")
_TOKEN = re.compile(r"[^\s,;]+,?|;")


def _epithet(token: str | None) -> tuple[str, bool] | None:
    """``(epithet, ends_with_comma)`` when ``token`` can be an epithet, else None."""
    if token is None:
        return None
    m = _EPITHET.match(token)
    if not m or m.group(1) in AUTHORITY_WORDS:
        return None
    return m.group(1), bool(m.group(2))


# an authority that says the name was used for this taxon by mistake ("auct.", "non", "sensu"): the
# name belongs to another taxon, so it is no synonym of this one
MISAPPLIED = frozenset({"auct", "auctt", "auctorum", "non", "nec", "sensu"})


def parse_synonyms(text: str) -> list[str]:
    """The synonyms in a ``SynonymsWithAuthors`` cell (``parse_names`` without the misapplied ones).

    >>> parse_synonyms("Hyla tinctoria Barbour and Loveridge, 1928, Cattleya labiata auct.")
    ['Hyla tinctoria']
    """
    return [name for name, misapplied in parse_names(text) if not misapplied]


def parse_names(text: str) -> list[tuple[str, bool]]:
    """The names in a ``SynonymsWithAuthors`` cell, in order, each once, authorities dropped, each
    with whether its authority marks it misapplied (``auct.``, ``non``, ``sensu``).

    >>> parse_names("Manis tricuspis Rafinesque, 1821, Python molurus bivittatus Kuhl, 1820")
    [('Manis tricuspis', False), ('Python molurus bivittatus', False)]
    >>> parse_names("Aloe ferox var. incurva Baker, Dendrobium nobile Rolfe non Lindl.")
    [('Aloe ferox var. incurva', False), ('Dendrobium nobile', True)]
    """
    tokens = _TOKEN.findall(text or "")
    out: list[str] = []
    misapplied: set[str] = set()
    last: list[str] = []  # the words of the name the authority being read belongs to
    i = 0
    while i < len(tokens):
        rank = RANK_WORDS.get(tokens[i].lower())
        if rank and len(last) == 2 and (infra := _epithet(tokens[i + 1] if i + 1 < len(tokens) else None)):
            # "Cycas revoluta Thunb. var. brevifrons Miq.": the species' authority came first; the
            # synonym is the variety, not the species (which is another taxon's accepted name)
            name = " ".join([*last, rank, infra[0]])
            out[out.index(" ".join(last))] = name
            if " ".join(last) in misapplied:
                misapplied.discard(" ".join(last))
                misapplied.add(name)
            last = [*last, rank, infra[0]]
            i += 2
            continue
        genus = _GENUS.match(tokens[i].rstrip(","))
        if not genus or tokens[i].endswith(","):
            if last and tokens[i].rstrip(".,").lower() in MISAPPLIED:
                misapplied.add(" ".join(last))
            i += 1
            continue
        j = i + 1
        if j < len(tokens) and _SUBGENUS.match(tokens[j].rstrip(",")) and not tokens[j].endswith(","):
            j += 1  # Python (Morelia) spilota: the subgenus is not part of the name
        species = _epithet(tokens[j] if j < len(tokens) else None)
        if species is None:
            if last and tokens[j if j < len(tokens) else i].rstrip(".,").lower() in MISAPPLIED:
                misapplied.add(" ".join(last))  # "Rolfe non Lindl.": the author, then "non"
            i += 1  # an author ("Barbour and", "Rolfe non") or a lone genus
            continue
        words = [genus.group(1), species[0]]
        j += 1
        if not species[1] and j < len(tokens):
            rank = RANK_WORDS.get(tokens[j].lower())
            if rank and (infra := _epithet(tokens[j + 1] if j + 1 < len(tokens) else None)):
                words += [rank, infra[0]]
                j += 2
            elif rank is None and (infra := _epithet(tokens[j])):
                words.append(infra[0])
                j += 1
        name = " ".join(words)
        if name in out:
            last = []
        else:
            out.append(name)
            last = words
        i = j
    return [(name, name in misapplied) for name in out]
