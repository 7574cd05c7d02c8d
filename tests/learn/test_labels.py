from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from wildtrace.cli import cli, load_commands
from wildtrace.learn.labels import Label, import_file, resolve, stored
from wildtrace.settings import Settings
from wildtrace.store import open_store


def test_import_csv_and_jsonl_append_only(tmp_path: Path) -> None:
    csv_file = tmp_path / "a.csv"
    csv_file.write_text("id,label,reviewer,note,labelled_at\n1,1,ana,horn,2026-01-01\n2,not_wildlife,ana,,2026-01-01\n")
    jsonl = tmp_path / "b.jsonl"
    jsonl.write_text(json.dumps({"id": "1", "label": 0, "reviewer": "ana", "labelled_at": "2026-02-01"}) + "\n")
    store = open_store(tmp_path / "db.sqlite")
    engine = store.engine
    first = import_file(engine, csv_file, known_ids={"1", "2"})
    again = import_file(engine, csv_file, known_ids={"1", "2"})
    later = import_file(engine, jsonl, known_ids={"1", "2"})
    assert (first.added, again.added, again.duplicates, later.added) == (2, 0, 2, 1)
    rows = stored(engine)
    assert [(x.listing_id, x.label) for x in rows] == [("1", "wildlife_offer"), ("2", "not_wildlife"),
                                                      ("1", "not_wildlife")], rows
    # ana changed her mind: her latest label counts, the earlier one is still stored
    assert resolve(rows)["1"].label == "not_wildlife"
    assert not resolve(rows)["1"].conflict
    store.close()


def test_unknown_ids_and_bad_labels_are_rejected_not_lost(tmp_path: Path) -> None:
    f = tmp_path / "l.csv"
    f.write_text("id,label,reviewer\n1,1,ana\nghost,1,ana\n2,perhaps,ana\n,1,ana\n")
    store = open_store(tmp_path / "db.sqlite")
    report = import_file(store.engine, f, known_ids={"1", "2"})
    store.close()
    assert report.added == 1
    reasons = [(r.line, r.record_id, r.reason) for r in report.rejects]
    assert (5, None, "missing id") in reasons, reasons
    assert (3, "ghost", "unknown listing id") in reasons
    assert any(line == 4 and i == "2" and "perhaps" in why for line, i, why in reasons), reasons


def test_conflict_rule() -> None:
    votes = [Label("x", "wildlife_offer", "ana", "2026-01-01"), Label("x", "not_wildlife", "bob", "2026-01-02"),
             Label("y", "not_wildlife", "ana", "2026-01-01"), Label("y", "not_wildlife", "bob", "2026-01-01"),
             Label("y", "wildlife_offer", "cy", "2026-01-01"),
             Label("z", "depiction_or_faux", "ana", "2026-01-01"), Label("z", "not_wildlife", "bob", "2026-01-01")]
    out = resolve(votes)
    assert out["x"].label == "wildlife_offer" and out["x"].conflict  # tie -> the cautious label
    assert out["y"].label == "not_wildlife" and out["y"].conflict  # majority
    assert out["z"].label == "depiction_or_faux"
    assert out["x"].votes == {"ana": "wildlife_offer", "bob": "not_wildlife"}


def test_cli_label_import(tmp_path: Path, listings_file: Path) -> None:
    load_commands()
    labels = tmp_path / "l.csv"
    labels.write_text("id,label,reviewer\nt1,1,ana\nt2,0,ana\nnobody,1,ana\n")
    settings = Settings(data_dir=tmp_path / "data")
    runner = CliRunner()
    res = runner.invoke(cli, ["label", "import", str(labels), "--listings", str(listings_file),
                              "--rejects", str(tmp_path / "rej.jsonl")], obj=settings,
                        env={"WILDTRACE_DATA_DIR": str(tmp_path / "data")})
    assert res.exit_code == 3, res.output
    assert "2 labels added" in res.output
    assert json.loads((tmp_path / "rej.jsonl").read_text())["id"] == "nobody"
    # no listings known and no --listings: a clear error, nothing stored
    res = runner.invoke(cli, ["label", "import", str(labels)], env={"WILDTRACE_DATA_DIR": str(tmp_path / "d2")})
    assert res.exit_code == 2 and "cannot check the label ids" in res.output, res.output
