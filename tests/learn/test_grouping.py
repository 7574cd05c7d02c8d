"""``wildtrace train`` and ``evaluate`` keep each seller's listings together by default; with no
seller on the labelled listings they fall back to near-duplicate groups and say so in one line;
``--group-by none`` turns grouping off. Real files, the real command, the real model folder."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from learn.conftest import make_records

from wildtrace.cli import cli, load_commands
from wildtrace.settings import Settings


def _files(tmp_path: Path, *, sellers: bool) -> tuple[Path, Path]:
    records = make_records(80, seed=3)
    listings, labels = tmp_path / "listings.jsonl", tmp_path / "labels.csv"
    with listings.open("w") as out:
        for r in records:
            row = {k: v for k, v in r.items() if k != "wl" and (sellers or k != "seller")}
            out.write(json.dumps(row) + "\n")
    labels.write_text("id,label\n" + "".join(f"{r['id']},{r['wl']}\n" for r in records))
    return listings, labels


def _train(tmp_path: Path, listings: Path, labels: Path, out: str, *extra: str) -> tuple[dict[str, object], str]:
    load_commands()
    settings = Settings(data_dir=tmp_path / "data", text_model="none")
    res = CliRunner().invoke(cli, ["train", str(listings), "--labels", str(labels), "-o", str(tmp_path / out),
                                   "--quiet", *extra], obj=settings)
    assert res.exit_code == 0, (res.output, res.stderr)
    return json.loads((tmp_path / out / "model.json").read_text()), res.stderr


def test_train_groups_by_seller_by_default(tmp_path: Path) -> None:
    listings, labels = _files(tmp_path, sellers=True)
    meta, err = _train(tmp_path, listings, labels, "m1")
    assert meta["group_by"] == "seller", meta
    assert "near-duplicates instead" not in err, err
    meta, _ = _train(tmp_path, listings, labels, "m2", "--group-by", "none")
    assert meta["group_by"] == "none", meta


def test_without_sellers_train_and_evaluate_fall_back_to_near_duplicates(tmp_path: Path) -> None:
    listings, labels = _files(tmp_path, sellers=False)
    meta, err = _train(tmp_path, listings, labels, "m")
    assert meta["group_by"] == "near-duplicates", meta
    notes = [line for line in err.splitlines() if "no labelled listing has a seller" in line]
    assert len(notes) == 1 and "near-duplicates" in notes[0], err
    res = CliRunner().invoke(cli, ["evaluate", str(listings), "--labels", str(labels), "--cv", "3", "--reps", "50",
                                   "--json"], obj=Settings(data_dir=tmp_path / "data", text_model="none"))
    assert res.exit_code == 0, (res.output, res.stderr)
    assert json.loads(res.stdout)["setting"]["group_by"] == "near-duplicates", res.stdout[:500]
    assert "no labelled listing has a seller" in res.stderr, res.stderr
