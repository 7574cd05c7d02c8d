"""The checks table (data/trade/checks.yaml) drives the reject reasons of every format."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from wildtrace.errors import DataError
from wildtrace.trade.checks import CHECKS, load_checks, reason_sql
from wildtrace.trade.load import load_paths
from wildtrace.trade.schema import BULK, COMPTAB, LEMIS, connect


def write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def test_each_format_gets_the_checks_of_the_table_in_order() -> None:
    table = load_checks()
    for fmt in (BULK, COMPTAB, LEMIS):
        expected = [c.reason.format(**table.params()) for c in table.rows if fmt in c.formats]
        sql = reason_sql(fmt, {"id": 0})
        found = [r for r in expected if f"'{r}'" in sql]
        assert found == expected, (fmt, sql)
        assert [sql.index(f"'{r}'") for r in expected] == sorted(sql.index(f"'{r}'") for r in expected), sql
    # a check that needs a column the file lacks is left out: no Id column, no 'missing Id'
    assert "missing Id" in reason_sql(BULK, {"id": 0}) and "missing Id" not in reason_sql(BULK, {})
    assert "Reporter.type" not in reason_sql(COMPTAB, {}) and "Reporter.type" not in reason_sql(LEMIS, {})


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace("formats: [cites_bulk, lemis]\n    when: q_raw IS NULL",
                         "formats: [cites_bulk, lemis, cites_comptab]\n    when: q_raw IS NULL"), "listed twice"),
    (lambda t: t.replace("formats: [cites_bulk]\n    needs: id\n    when", "formats: [cites_bluk]\n    needs: id\n    when"),
     "unknown formats"),
    (lambda t: t.replace("reason: missing taxon", ""), "needs check, formats"),
])
def test_a_broken_checks_table_is_a_data_error(tmp_path: Path, edit, message: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "checks.yaml"
    text = CHECKS.read_text(encoding="utf-8")
    path.write_text(edit(text), encoding="utf-8")
    assert path.read_text(encoding="utf-8") != text, "the edit did not apply"
    with pytest.raises(DataError, match=message):
        load_checks(path)


CT_HEAD = ["Year", "App.", "Taxon", "Class", "Order", "Family", "Genus", "Importer", "Exporter", "Origin",
           "Importer reported quantity", "Exporter reported quantity", "Term", "Unit", "Purpose", "Source"]
CT_ROW = dict(zip(CT_HEAD, ["2012", "II", "Manis javanica", "Mammalia", "Pholidota", "Manidae", "Manis", "CN",
                            "MY", "", "1200", "10", "scales", "kg", "T", "W"], strict=True))


def test_comparative_tabulation_rows_are_checked_by_the_table(tmp_path: Path) -> None:
    def row(**k: str) -> list[str]:
        """CT_ROW with these columns changed (underscores for the spaces of a name)."""
        changed = {h.replace("_", " "): v for h, v in k.items()}
        assert set(changed) <= set(CT_HEAD), changed
        return list({**CT_ROW, **changed}.values())

    iq, eq = "Importer_reported_quantity", "Exporter_reported_quantity"
    rows = [row(), row(Year="1800"), row(**{iq: "", eq: ""}), row(**{iq: "abc"}),
            row(**{eq: "inf"}), row(**{iq: "2e12"}), row(**{eq: "-1"}), row(Taxon="")]
    con = connect(tmp_path / "t.duckdb")
    (res,) = load_paths(con, [write(tmp_path / "ct.csv", CT_HEAD, rows)])
    assert res.format == COMPTAB and res.rows_loaded == 1, res
    assert res.reject_reasons == {"bad year": 1, "missing quantity": 1, "non-numeric quantity": 1,
                                  "non-finite quantity (NaN or infinity)": 1,
                                  "implausible quantity (over 1e+12)": 1, "negative quantity": 1,
                                  "missing taxon": 1}, res.reject_reasons


LEMIS_HEAD = ["control_number", "species_code", "genus", "species", "subspecies", "generic_name", "description",
              "quantity", "unit", "value", "country_origin", "country_imp_exp", "purpose", "source", "action",
              "disposition", "disposition_date", "shipment_date", "import_export", "port", "shipment_year"]
LEMIS_ROW = dict(zip(LEMIS_HEAD, ["100", "PYRE", "Python", "regius", "", "snake", "LIV", "5", "NO", "100", "GH",
                                  "GH", "T", "W", "C", "C", "2005-01-02", "2005-01-01", "I", "NY", "2005"],
                     strict=True))


def test_lemis_rows_are_checked_by_the_table(tmp_path: Path) -> None:
    def row(**k: str) -> list[str]:
        return list({**LEMIS_ROW, **k}.values())

    rows = [row(), row(shipment_year="", shipment_date=""), row(shipment_year="1960"), row(quantity=""),
            row(quantity="NA"), row(quantity="x"), row(quantity="nan"), row(quantity="5e12"), row(quantity="-2"),
            row(genus="", species="", generic_name="", species_code="")]
    con = connect(tmp_path / "t.duckdb")
    (res,) = load_paths(con, [write(tmp_path / "lemis.csv", LEMIS_HEAD, rows)])
    assert res.format == LEMIS and res.rows_loaded == 1, res
    assert res.reject_reasons == {"bad year": 2, "missing quantity": 2, "non-numeric quantity": 1,
                                  "non-finite quantity (NaN or infinity)": 1,
                                  "implausible quantity (over 1e+12)": 1, "negative quantity": 1,
                                  "missing taxon": 1}, res.reject_reasons


def test_a_repeats_check_runs_only_when_an_id_repeats(tmp_path: Path) -> None:
    """The Id-repeated check is marked ``repeats`` (it is skipped when no Id repeats in the
    file): a file with a repeated Id still loses the later copy, one without loses nothing."""
    table = load_checks()
    assert [c.check for c in table.sets if c.repeats] == ["id_repeated"]
    header = ["Id", "Year", "Appendix", "Taxon", "Class", "Order", "Family", "Genus", "Term", "Quantity", "Unit",
              "Importer", "Exporter", "Origin", "Purpose", "Source", "Reporter.type", "Import.permit.RandomID",
              "Export.permit.RandomID", "Origin.permit.RandomID"]

    def row(rid: str, q: str) -> list[str]:
        return [rid, "2010", "II", "Python regius", "Reptilia", "Squamata", "Pythonidae", "Python", "LIV", q,
                "", "US", "GH", "", "T", "C", "E", "", "P1", ""]

    con = connect(tmp_path / "t.duckdb")
    once = write(tmp_path / "once.csv", header, [row("A1", "1"), row("A2", "2"), row("A3", "3")])
    twice = write(tmp_path / "twice.csv", header, [row("B1", "1"), row("B2", "2"), row("B1", "3")])
    a, b = load_paths(con, [once, twice])
    assert (a.rows_loaded, a.rows_rejected, a.reject_reasons) == (3, 0, {})
    assert (b.rows_loaded, b.rows_rejected) == (2, 1)
    assert b.reject_reasons == {"duplicate row (Id repeated in this file)": 1}
    assert con.execute("SELECT \"row\" FROM rejects WHERE load_id = ?", [b.load_id]).fetchall() == [(3,)]
