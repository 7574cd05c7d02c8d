"""Term lists into and out of the local lexicon (issue 25, item 8): reading the shared CSV in the
shapes it arrives in, one reason per row that resolves to nothing, a dry run that writes nothing,
the formula guard on export, and an export that re-imports to the same lexicon. Every lexicon
here is a real SQLite store in tmp_path."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from wildtrace.errors import Invalid, NotFound
from wildtrace.scan import termlist
from wildtrace.scan.locallex import LocalTerm
from wildtrace.scan.termlist import import_file, read_term_list
from wildtrace.store.lexicon import LocalLexicon
from wildtrace.taxa import refdata

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "terms.csv"


@pytest.fixture(scope="module")
def ref() -> refdata.ReferenceData:
    return refdata.load()


@pytest.fixture
def lexicon(tmp_path: Path) -> Iterator[LocalLexicon]:
    with LocalLexicon(tmp_path / "wildtrace.sqlite") as lex:
        yield lex


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _meaning(lex: LocalLexicon) -> list[tuple[object, ...]]:
    return [(t.term, t.kind, t.lang, t.means_product, t.means_taxon, t.context_required, t.note)
            for t in lex.terms()[1]]


# --- reading ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("delim", "bom"), [(",", ""), (";", "\ufeff"), ("\t", "\ufeff"), (";", "")])
def test_separators_bom_and_header_case(tmp_path: Path, delim: str, bom: str) -> None:
    header = delim.join(["Term", "LANGUAGE", "Taxon", "product", "Note", "Source URL"])
    row = delim.join(["ox bone netsuke", "en", "Elephantidae", "ivory products", "seen in 3 ads", "x"])
    rows, rejects = read_term_list(_write(tmp_path / "t.csv", f"{bom}{header}\r\n{row}\r\n"))
    assert rejects == []
    assert rows.delimiter == delim and rows.extra_columns == ("Source URL",)
    assert list(rows) == [termlist.TermRow(2, "ox bone netsuke", "en", "Elephantidae", "ivory products",
                                           "seen in 3 ads")]


def test_utf16_with_bom_as_a_spreadsheet_saves_it(tmp_path: Path) -> None:
    text = "term\tlanguage\ttaxon\tproduct\tnote\r\n犀角杯\tzh_hans\tRhinocerotidae\t\t\r\n"
    rows, rejects = read_term_list(_write(tmp_path / "t.txt", "\ufeff" + text, "utf-16-le"))
    assert rejects == [] and [(r.term, r.language) for r in rows] == [("犀角杯", "zh_hans")]


def test_line_numbers_survive_quoted_notes_and_blank_lines(tmp_path: Path) -> None:
    text = ('term,language,taxon,product,note\n'
            '\n'
            'first term,en,,,"a note\nover two lines, with a comma"\n'
            'second term,en,,,plain\n')
    rows, rejects = read_term_list(_write(tmp_path / "t.csv", text))
    assert rejects == []
    assert [(r.line, r.term, r.note) for r in rows] == [
        (3, "first term", "a note\nover two lines, with a comma"), (5, "second term", "plain")]


def test_an_open_quote_costs_its_own_line_only(tmp_path: Path) -> None:
    text = ('term,language,taxon,product,note\n'
            'good one,en,,,fine\n'
            '"open quote term,en,,,never closed\n'
            'after it,en,,,read as its own row\n')
    rows, rejects = read_term_list(_write(tmp_path / "t.csv", text))
    assert [(r.line, r.term) for r in rows] == [(2, "good one"), (4, "after it")]
    assert [(r.line, "quote opened on line 3" in r.reason) for r in rejects] == [(3, True)]


def test_bad_bytes_and_spilled_cells_reject_their_row(tmp_path: Path) -> None:
    data = (b"term,language,taxon,product,note\n"
            b"bad \xff bytes,en,,,\n"
            b"shifted,en,,,a note, with an unquoted comma\n"
            b"fine,en,,,,\n")
    (tmp_path / "t.csv").write_bytes(data)
    rows, rejects = read_term_list(tmp_path / "t.csv")
    assert [r.term for r in rows] == ["fine"], "an empty trailing cell is no spill"
    assert [(r.line, r.reason.split(" (")[0]) for r in rejects] == [
        (2, "not valid UTF-8 text"), (3, "6 cells where the header has 5")]


def test_the_export_s_formula_guard_comes_off_on_reading(tmp_path: Path) -> None:
    rows, _ = read_term_list(_write(tmp_path / "t.csv", "term,note\n'=HYPERLINK(1),'+note\n'plain quote,x\n"))
    assert [(r.term, r.note) for r in rows] == [("=HYPERLINK(1)", "+note"), ("'plain quote", "x")]


@pytest.mark.parametrize(("data", "message"), [
    (b"", "is empty"),
    (b"name,lang\nfoo,en\n", "no term-list header"),
    (b"PK\x03\x04rest of a workbook", "spreadsheet workbook"),
    (b"term,term\nx,y\n", "names the column 'term' twice"),
    (b"term,lang,language\nx,en,en\n", "names the column 'language' twice"),
])
def test_a_file_that_is_no_term_list_is_one_clear_error(tmp_path: Path, data: bytes, message: str) -> None:
    (tmp_path / "t.csv").write_bytes(data)
    with pytest.raises(Invalid, match=message):
        read_term_list(tmp_path / "t.csv")


def test_a_missing_file_or_a_folder(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        read_term_list(tmp_path / "nope.csv")
    with pytest.raises(Invalid, match="folder"):
        read_term_list(tmp_path)


# --- importing -------------------------------------------------------------------------------

HOSTILE = """term,language,taxon,product,note
ox bone netsuke,en,Elephantidae,ivory products,good
vảy tê tê rang,vi,Sunda pangolin,scales,common name and product word
,en,,,empty term
"bad\u202eterm",en,,,bidi override
esc\x1b[31mred,en,,,terminal escape
{long},en,,,too long
unknown taxon term,en,Manis imaginaria,,
gator skin bag,en,gator,,ambiguous common name
odd product term,en,,moon rocks,
klingon term,tlh,,,
chinese no script,zh,,,
pangolin,en,,,built-in taxon name
for sale,en,,,built-in cue
already local,en,,,
ox bone netsuke,en,,,same as line 2
x,en,,,too short
kind term,en,,,
buceros vigil casque,en,Buceros vigil,,synonym
"""


def _hostile(tmp_path: Path) -> Path:
    return _write(tmp_path / "hostile.csv", HOSTILE.replace("{long}", "w" * 101)
                  .replace("kind term,en,,,", "kind term,en,,,,nonsense")
                  .replace("term,language,taxon,product,note", "term,language,taxon,product,note,kind"))


def test_every_row_is_imported_or_rejected_with_its_line(lexicon: LocalLexicon, tmp_path: Path,
                                                          ref: refdata.ReferenceData) -> None:
    lexicon.add("already local", author="bob")
    report = import_file(lexicon, _hostile(tmp_path), "ana", ref=ref)
    imported = {i.line: (i.term, i.means_taxon, i.means_product) for i in report.imported}
    assert imported == {2: ("ox bone netsuke", "Elephantidae", "ivory products"),
                        3: ("vảy tê tê rang", "Manis javanica", "scales or spines"),
                        19: ("buceros vigil casque", "Rhinoplax vigil", None)}
    reasons = {r.line: r.reason for r in report.rejects}
    assert set(imported) | set(reasons) == set(range(2, 20)) and not set(imported) & set(reasons)
    expect = {4: "empty term", 5: "control character (U+202E)", 6: "control character (U+001B)",
              7: "term is over 100 characters", 8: "'Manis imaginaria' is not in the reference data",
              9: "'gator' is ambiguous", 10: "'moon rocks' is not a known product type",
              11: "language 'tlh' is not one of the project's", 12: "say zh_hans or zh_hant",
              13: "already in the built-in lexicon as a name of Manidae",
              14: "already in the built-in lexicon as a built-in sale cue",
              15: "'already local' is already in the local lexicon", 16: "the same term as line 2",
              17: "too short", 18: "kind 'nonsense' is not one of"}
    wrong = {line: reasons.get(line) for line, part in expect.items() if part not in (reasons.get(line) or "")}
    assert wrong == {}, wrong
    assert "\x1b" not in "".join(r.preview + (r.record_id or "") for r in report.rejects), "previews escape"
    assert report.read == 18 and report.version == 4
    assert [c["author"] for c in lexicon.changes()] == ["bob", "ana", "ana", "ana"]
    assert any("read as Manis javanica" in how for i in report.imported for how in i.resolved)


def test_a_dry_run_reports_the_same_and_writes_nothing(lexicon: LocalLexicon, tmp_path: Path,
                                                        ref: refdata.ReferenceData) -> None:
    lexicon.add("already local", author="bob")
    before = lexicon.changes()
    dry = import_file(lexicon, _hostile(tmp_path), "ana", dry_run=True, ref=ref)
    assert lexicon.changes() == before
    assert dry.dry_run and dry.version == 1 and all(i.version is None for i in dry.imported)
    real = import_file(lexicon, _hostile(tmp_path), "ana", ref=ref)
    assert [(i.line, i.term) for i in dry.imported] == [(i.line, i.term) for i in real.imported]
    assert [(r.line, r.reason) for r in dry.rejects] == [(r.line, r.reason) for r in real.rejects]


def test_a_snapshot_dry_run_needs_no_database(tmp_path: Path, ref: refdata.ReferenceData) -> None:
    report = import_file(termlist.Snapshot(), EXAMPLE, "ana", dry_run=True, ref=ref)
    assert report.rejects == [] and len(report.imported) == report.read >= 4
    assert list(tmp_path.iterdir()) == []


def test_a_code_word_that_resolves_to_nothing_is_refused(lexicon: LocalLexicon, tmp_path: Path,
                                                         ref: refdata.ReferenceData) -> None:
    path = _write(tmp_path / "t.csv", "term,language,taxon,product,note\nzzqxw,en,,,a search word\n"
                  "zzqxw ivory,en,,ivory,a code word for a product\n")
    report = import_file(lexicon, path, "ana", ref=ref)
    assert [(r.line, r.reason) for r in report.rejects] == [(2, termlist.NOTHING)]
    assert [i.term for i in report.imported] == ["zzqxw ivory"]


def test_a_leading_quote_survives_export_and_import(tmp_path: Path, ref: refdata.ReferenceData) -> None:
    with LocalLexicon(tmp_path / "a.sqlite") as first:
        first.add("'=cmd", kind="sale_cue", lang="en", author="ana")
        first.add("'quoted", kind="sale_cue", lang="en", author="ana")
        text = termlist.export_terms(first.terms()[1])
    with LocalLexicon(tmp_path / "b.sqlite") as second:
        report = import_file(second, _write(tmp_path / "e.csv", text), "cy", ref=ref)
        assert report.rejects == [] and sorted(t.term for t in second.terms()[1]) == ["'=cmd", "'quoted"]


def test_the_example_file_imports_whole(lexicon: LocalLexicon, ref: refdata.ReferenceData) -> None:
    report = import_file(lexicon, EXAMPLE, "ana", ref=ref)
    assert report.rejects == [] and report.extra_columns == ()
    assert len(lexicon.terms()[1]) == report.read


# --- exporting -------------------------------------------------------------------------------

def test_export_guards_formulas_and_reimports_to_the_same_lexicon(tmp_path: Path,
                                                                   ref: refdata.ReferenceData) -> None:
    hostile = ["=HYPERLINK(\"http://x\")", "+cmd", "-2+3", "@SUM(A1)"]
    with LocalLexicon(tmp_path / "a.sqlite") as first:
        import_file(first, EXAMPLE, "ana", ref=ref)
        for i, term in enumerate(hostile):
            first.add(term, kind="sale_cue" if i % 2 else "depiction_cue", lang="en", context_required=i == 0,
                      note="=1+1, \"quoted\"\nand a second line", author="ana")
        first.add("zh 商品 term", kind="innocent", lang="zh_hant", note="\tstarts with a tab", author="ana")
        text = termlist.export_terms(first.terms()[1])
        want = _meaning(first)
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")], "every formula guarded"
    assert "'=HYPERLINK(\"http://x\")" in cells and "'\tstarts with a tab" in cells
    exported = _write(tmp_path / "export.csv", text)
    with LocalLexicon(tmp_path / "b.sqlite") as second:
        report = import_file(second, exported, "cy", ref=ref)
        assert report.rejects == [] and report.extra_columns == ()
        assert _meaning(second) == want


def test_export_all_holds_the_builtin_terms_and_still_round_trips(tmp_path: Path,
                                                                  ref: refdata.ReferenceData) -> None:
    with LocalLexicon(tmp_path / "a.sqlite") as first:
        import_file(first, EXAMPLE, "ana", ref=ref)
        text = termlist.export_terms(first.terms()[1], ref=ref)
        want = _meaning(first)
    rows = list(csv.DictReader(io.StringIO(text)))
    by_term = {(r["term"], r["source"].split(":")[0]) for r in rows}
    assert ("Manis javanica", "built-in scientific name") in by_term
    assert ("bovine bone", "built-in code word") in by_term
    assert any(r["product"] == "ivory products" and r["source"] == "built-in product word" for r in rows)
    with LocalLexicon(tmp_path / "b.sqlite") as second:
        report = import_file(second, _write(tmp_path / "all.csv", text), "cy", ref=ref)
        assert _meaning(second) == want
        assert len(report.imported) == len(want) and report.read == len(rows)
        assert all(r.reason.startswith(("duplicate", "term")) for r in report.rejects), \
            {r.reason for r in report.rejects if not r.reason.startswith(("duplicate", "term"))}


def test_a_row_another_writer_added_meanwhile_is_rejected_alone(lexicon: LocalLexicon, tmp_path: Path,
                                                                ref: refdata.ReferenceData) -> None:
    """The rows are checked against the lexicon as it was read; a term another analyst adds before
    the write is refused by the store's own check, for that row only."""

    class ReadBeforeTheOtherWriter:
        def terms(self, version: int | None = None) -> tuple[int, list[LocalTerm]]:
            return 0, []

        def add_many(self, adds: Sequence[dict[str, Any]]) -> list[int | str]:
            lexicon.add("ox bone netsuke", author="bob")  # lands between the check and the write
            return lexicon.add_many(adds)

    report = import_file(ReadBeforeTheOtherWriter(), EXAMPLE, "ana", ref=ref)
    assert [(r.line, "already in the local lexicon" in r.reason) for r in report.rejects] == [(2, True)]
    assert len(report.imported) == report.read - 1 and report.version == report.read
    assert [c["author"] for c in lexicon.changes()] == ["bob"] + ["ana"] * (report.read - 1)
