"""End-to-end paths across the old seams, on SQLite and PostgreSQL, through the real CLI:

- ``scan --save`` -> ``label import`` -> ``train`` -> ``scan --model``;
- labels given in the workbench -> ``train`` (the one labels table);
- a case made in the workbench -> ``case export ftm`` and ``pdf`` (the one case model);
- ``WILDTRACE_DB`` for every command that touches the database.

Listings here are written for the mechanics (tests/learn/conftest.py); they measure nothing.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import orjson
from click.testing import CliRunner, Result
from followthemoney import model as ftm_model

from wildtrace.scan.scanner import Scanner
from wildtrace.settings import Settings
from wildtrace.store import cases, labels, open_store, queue

OFFERS = ["rhino horn piece genuine", "ivory bangle carved old", "pangolin scales for medicine",
          "sisik trenggiling asli", "tiger bone wine old stock", "bear bile powder pure"]
OTHER = ["mountain bike 29 inch", "oak dining table", "running shoes size 42", "cotton t-shirt new",
         "laptop second hand", "garden hose 20m"]


def make_records(n: int) -> list[dict[str, object]]:
    rng = random.Random(7)
    out = []
    for i in range(n):
        positive = rng.random() < 0.35
        out.append({"id": f"t{i}", "title": rng.choice(OFFERS if positive else OTHER), "text": "ship worldwide",
                    "seller": f"s{i % 40}", "platform": "fb", "url": f"https://shop.example/{i}",
                    "wl": int(positive)})
    return out


RECORDS = make_records(160)


def _cli(args: list[str], env: dict[str, str], input: bytes | None = None) -> Result:
    from wildtrace.cli import cli

    result = CliRunner().invoke(cli, args, env=env, input=input)
    assert "Traceback" not in result.output, result.output
    return result


def _files(tmp: Path) -> tuple[Path, Path]:
    listings = tmp / "listings.jsonl"
    listings.write_text("".join(json.dumps({k: v for k, v in r.items() if k != "wl"}) + "\n" for r in RECORDS))
    lab = tmp / "labels.csv"
    lab.write_text("id,label,reviewer,labelled_at\n" + "".join(
        f"{r['id']},{r['wl']},ana,2026-01-02T00:00:00Z\n" for r in RECORDS))
    return listings, lab


def test_scan_save_label_import_train_scan_model(db_url: str, tmp_path: Path) -> None:
    env = {"WILDTRACE_DATA_DIR": str(tmp_path / "data"), "WILDTRACE_DB": db_url}
    listings, lab = _files(tmp_path)
    r = _cli(["scan", str(listings), "--save", "-o", str(tmp_path / "r.jsonl")], env)
    assert r.exit_code == 0, r.output
    r = _cli(["label", "import", str(lab)], env)  # ids checked against the store's listings
    assert r.exit_code == 0 and f"{len(RECORDS)} labels added" in r.output, r.output
    r = _cli(["label", "import", str(lab)], env)
    assert "0 labels added" in r.output and f"{len(RECORDS)} already stored" in r.output, r.output
    r = _cli(["train", "-o", str(tmp_path / "model"), "--group-by", "seller", "--folds", "3"], env)
    assert r.exit_code == 0, r.output
    assert f"{len(RECORDS)} listings" in r.output, r.output
    r = _cli(["scan", str(listings), "--model", str(tmp_path / "model"), "--db", db_url], env)
    assert r.exit_code == 0, r.output
    out = [orjson.loads(x) for x in r.stdout.splitlines()]
    assert len(out) == len(RECORDS) and all(x["model"]["name"] == "wildtrace-rules+wildtrace-text" for x in out)
    # the imported labels show in the workbench's queue, as the newest label of each listing
    store = open_store(db_url)
    try:
        first = queue.get(store.engine, "t0")
    finally:
        store.close()
    assert first is not None and first["label"] == ("wildlife_offer" if RECORDS[0]["wl"] else "not_wildlife")


def test_workbench_labels_reach_train(db_url: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", db=db_url)
    store = open_store(db_url)
    try:
        store.save([r for r in Scanner(settings).scan(RECORDS) if hasattr(r, "verdict")])  # type: ignore[misc]
        engine = store.engine
        for value in ("wildlife_offer", "not_wildlife"):
            ids = [str(r["id"]) for r in RECORDS if (r["wl"] == 1) == (value == "wildlife_offer")]
            labels.add_labels(engine, ids, value, "analyst")
        labels.add_labels(engine, [str(RECORDS[0]["id"])], "unsure", "bob")  # no vote
    finally:
        store.close()
    env = {"WILDTRACE_DATA_DIR": str(tmp_path / "data"), "WILDTRACE_DB": db_url}
    r = _cli(["train", "-o", str(tmp_path / "model"), "--folds", "3"], env)
    assert r.exit_code == 0, r.output
    assert f"{len(RECORDS)} listings ({sum(int(r['wl']) for r in RECORDS)} positive)" in r.output, r.output
    r = _cli(["label", "list"], env)
    assert len(r.stdout.splitlines()) == len(RECORDS)


def test_workbench_case_exports(db_url: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", db=db_url)
    store = open_store(db_url)
    try:
        store.save([r for r in Scanner(settings).scan(RECORDS[:20]) if hasattr(r, "verdict")])  # type: ignore[misc]
        engine = store.engine
        made = cases.create_case(engine, "Horn ring, made in the workbench", "analyst")
        for rid in ("t0", "t1", "t2"):
            cases.add_listings(engine, made["id"], [rid], "analyst")
    finally:
        store.close()
    env = {"WILDTRACE_DATA_DIR": str(tmp_path / "data"), "WILDTRACE_DB": db_url}
    r = _cli(["case", "export", made["name"], "--format", "ftm", "-o", str(tmp_path / "c.ftm.jsonl")], env)
    assert r.exit_code == 0, r.output
    entities = [json.loads(x) for x in (tmp_path / "c.ftm.jsonl").read_text().splitlines()]
    pages = [e for e in entities if e["schema"] == "HyperText"]
    assert len(pages) == 3
    for e in entities:
        ftm_model.get_proxy(e)  # valid FollowTheMoney
    r = _cli(["case", "export", str(made["id"]), "--format", "pdf", "-o", str(tmp_path / "c.pdf")], env)
    assert r.exit_code == 0, r.output
    assert (tmp_path / "c.pdf").read_bytes().startswith(b"%PDF")
    r = _cli(["case", "show", made["name"], "--json"], env)
    shown = json.loads(r.stdout)
    assert shown["listings"] == 3 and [m["id"] for m in shown["members"]] == ["t0", "t1", "t2"], shown
    r = _cli(["case", "show", made["name"]], env)
    assert r.exit_code == 0 and [line.split()[0] for line in r.output.splitlines() if line.startswith("  ")] == [
        "t0", "t1", "t2"], r.output  # the members, not only their count
    r = _cli(["case", "show", "no-such-case"], env)
    assert r.exit_code == 2 and "no case" in r.output, r.output


def test_every_database_command_follows_wildtrace_db(db_url: str, tmp_path: Path) -> None:
    """No command writes a stray SQLite file (the old bug: ./postgresql:/... in the current folder)."""
    env = {"WILDTRACE_DATA_DIR": str(tmp_path / "data"), "WILDTRACE_DB": db_url}
    listings, lab = _files(tmp_path)
    assert _cli(["scan", str(listings), "--save", "-o", str(tmp_path / "r.jsonl")], env).exit_code == 0
    assert _cli(["label", "import", str(lab)], env).exit_code == 0
    assert _cli(["label", "list"], env).exit_code == 0
    assert _cli(["case", "create", "op-1"], env).exit_code == 0
    assert _cli(["case", "add", "op-1", "--results", str(tmp_path / "r.jsonl"), "--min-risk", "0.5"], env).exit_code == 0
    assert _cli(["users", "add", "lead", "--role", "admin"], env,
                input=b"a long enough passphrase\n").exit_code == 0
    assert _cli(["users", "list"], env).exit_code == 0
    strays = [p for p in tmp_path.rglob("*") if p.name.endswith((".sqlite", ".db")) or "postgresql:" in str(p)]
    if db_url.startswith("postgresql"):
        assert strays == [], strays
    else:
        assert strays == [Path(db_url)], strays
