"""The README's command examples run: each, in the README's order, as a new user would type it
in one folder, with the input files the examples name prepared beforehand.

Six examples are not run here, each for a stated reason, and each is run by its own tests:
``serve`` (a server that runs until stopped: tests/web), ``capture`` (fetches the listing pages
on the internet, which no test reaches: tests/evidence captures loopback pages),
``evidence verify`` (its ``--head`` is a placeholder for a value a capture prints:
tests/evidence), ``evidence seal`` (it seals the captures ``capture`` would have made:
tests/evidence/test_seal.py), ``monitor run`` and ``monitor schedule`` (they crawl the demo
marketplace, which runs beside them: tests/monitor).
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SHARED = ROOT.parent / "shared" / "data"
NOT_RUN = {"serve", "capture", "evidence verify", "evidence seal", "monitor run", "monitor schedule"}


def readme_examples() -> list[tuple[str, str]]:
    text = README.read_text(encoding="utf-8").split("## Commands", 1)[1].split("\n## ", 1)[0]
    out = []
    for line in text.splitlines():
        m = re.match(r"\| `([a-z -]+)` \| .* \| `(.+)` \|$", line)
        if m:
            out.append((m.group(1), m.group(2).replace("\\|", "|")))
    return out


def _prepare(folder: Path) -> None:
    shutil.copy(ROOT / "src/wildtrace/data/demo_listings.jsonl", folder / "listings.jsonl")
    shutil.copy(folder / "listings.jsonl", folder / "l.jsonl")
    listings = [json.loads(line) for line in (folder / "listings.jsonl").read_text().splitlines() if line.strip()]
    # labels as an analyst would give them after reading each listing: the demo file says which
    # listings are offers in its ids' notes; here every third is marked not_wildlife so that both
    # classes are present in each seller-grouped fold
    with (folder / "labels.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "label", "reviewer", "note", "labelled_at"])
        for i, r in enumerate(listings):
            w.writerow([r["id"], 0 if i % 3 == 2 else 1, "ana", "", "2026-11-20T10:00:00Z"])
    shutil.copy(ROOT / "tests/taxa/fixtures/species_plus_split_listings.csv", folder / "Index_of_CITES_Species.csv")
    shutil.copy(ROOT / "examples/terms.csv", folder / "terms.csv")  # the hand-written term list
    for name in ("trade_db_1.csv", "comparative_tabulation.csv"):
        shutil.copy(ROOT / "tests/trade/data" / name, folder / name)
    shutil.copy(SHARED / "lemis" / "amphibian_LEMIS_2016_to_2021.csv", folder / "lemis.csv")  # real LEMIS rows
    (folder / "ranges.csv").write_text("taxon,range_state\nManis javanica,MY\nManis javanica,ID\n")
    (folder / "ap1_register.csv").write_text("taxon,country\nPsittacus erithacus,ZA\n")


def test_every_readme_example_runs(tmp_path: Path) -> None:
    examples = readme_examples()
    assert len(examples) > 30 and {c for c, _ in examples} >= NOT_RUN
    _prepare(tmp_path)
    bin_dir = Path(sys.executable).parent
    # no WILDTRACE_* beyond a data folder of its own: the examples run as written, in order (issue 29:
    # with the trade database set here, 6 of 9 trade examples that fail as written passed)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("WILDTRACE_")},
           "WILDTRACE_DATA_DIR": str(tmp_path / "data"),
           "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", "PASSWORD": "correct horse battery staple 42"}
    failed = []
    for command, example in examples:
        if command in NOT_RUN:
            continue
        if command == "network retract":  # the id `network judge` printed just before, as its first 8 characters
            judged = subprocess.run(["wildtrace", "network", "judgements"], cwd=tmp_path, env=env, capture_output=True,
                                    text=True, timeout=120)
            example = example.replace("66d224f9", json.loads(judged.stdout.splitlines()[-1])["id"][:8])
        r = subprocess.run(example, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
        if r.returncode != 0 or "Traceback" in r.stderr:
            failed.append(f"{example}\n  exit {r.returncode}: {(r.stderr or r.stdout)[-600:]}")
    assert not failed, "\n".join(failed)
    # the examples' outputs are there
    for name in ("results.jsonl", "model", "local_codewords.csv", "network.json", "op-scales.pdf", "report.html", "synth"):
        assert (tmp_path / name).exists(), name
    assert (tmp_path / "op-scales.pdf").read_bytes().startswith(b"%PDF")
