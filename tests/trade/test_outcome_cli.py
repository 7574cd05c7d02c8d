from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from wildtrace.cli import cli, load_commands
from wildtrace.trade.load import load_paths
from wildtrace.trade.outcome import outcome_model
from wildtrace.trade.schema import connect

from .conftest import SHARED


def test_outcome_model_on_real_lemis_with_leakage_audit(tmp_path: Path) -> None:
    con = connect(tmp_path / "l.duckdb")
    load_paths(con, sorted((SHARED / "lemis").glob("*.csv")))
    res = outcome_model(con, boot=30)
    audit = {a["field"]: a for a in res["leakage_audit"]}
    assert audit["source"]["suspected_leak"], audit["source"]
    for name in ("all_declaration_fields", "without_suspected_leaks"):
        assert not set(res[name]["fields"]) & {"action", "disposition", "disposition_date", "cleaning_notes"}
    assert "source" not in res["without_suspected_leaks"]["fields"]
    t = res["without_suspected_leaks"]["test"]
    assert t["pr_auc"]["value"] > 3 * t["base_rate"]  # well above random
    assert t["pr_auc"]["ci95"][0] <= t["pr_auc"]["value"] <= t["pr_auc"]["ci95"][1]


def test_cli_synth_load_report(tmp_path: Path) -> None:
    load_commands()
    env = {"WILDTRACE_DATA_DIR": str(tmp_path / "data")}
    runner = CliRunner()
    r = runner.invoke(cli, ["trade", "synth", "--rows", "4000", "--seed", "2", "--out", str(tmp_path / "s")], env=env)
    assert r.exit_code == 0, r.output
    made = json.loads(r.output)
    # the folder synth writes, as a new user would load it: ranges.csv and truth.json are skipped
    r = runner.invoke(cli, ["trade", "load", str(tmp_path / "s"), "--json"], env=env)
    assert r.exit_code == 0, r.output
    statuses = {Path(d["path"]).name: d["status"] for d in map(json.loads, r.stdout.splitlines())}
    assert statuses["ranges.csv"] == statuses["truth.json"] == statuses["SYNTHETIC.json"] == "skipped"
    assert statuses["trade_db_1.csv"] == statuses["comparative_tabulation.csv"] == statuses["lemis.csv"] == "loaded"
    (tmp_path / "junk.csv").write_text("a,b\n")
    r = runner.invoke(cli, ["trade", "load", str(tmp_path / "junk.csv")], env=env)
    assert r.exit_code == 2 and "not trade data" in r.output and "none of the inputs" in r.output
    for cmd in ("reconcile", "screen", "trends", "routes"):
        r = runner.invoke(cli, ["trade", cmd, "--json"], env=env)
        assert r.exit_code == 0, (cmd, r.output)
        assert json.loads(r.stdout)["provenance"]["input_hash"]
    html = tmp_path / "report.html"
    r = runner.invoke(cli, ["trade", "report", "--ranges", made["ranges"], "--html", str(html)], env=env)
    assert r.exit_code == 0, r.output
    text = html.read_text()
    assert "<svg" in text and "Res. Conf. 17.7" in text and "<script" not in text
    # synthetic files are named as synthetic, never cited as the CITES Trade Database
    assert "Synthetic data made by wildtrace trade synth" in text and "trade.cites.org" not in text
