"""``scan --jobs N``: worker processes give the same output, rejects, summary and store as one
process (issue 27), on the demo listings (with bad records among them, more than one chunk) and on
real classified ads (CSV, latin-1); the summary of chunks merged equals the summary of the whole."""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from wildtrace import Scanner, Settings, parallel
from wildtrace.parallel import AUTO_BYTES, CHUNK, ScannerSpec, default_jobs, merge_summary
from wildtrace.pipeline import Collected, Sinks, ingest
from wildtrace.scan.result import ScanResult
from wildtrace.scan.summary import Summary

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "src" / "wildtrace" / "data" / "demo_listings.jsonl"
BIRD_ADS = ROOT.parent / "shared" / "data" / "bird_ads_stringham2021.csv"
BAD = [b"{not json\n", b"[1, 2]\n", b'{"title": "no id at all"}\n', b"\n"]


@pytest.fixture(scope="module")
def listings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo listings, each copy with its own ids, over two chunks, bad lines among them."""
    lines = DEMO.read_bytes().splitlines(keepends=True)
    out = []
    copies = CHUNK * 2 // len(lines) + 2
    for copy in range(copies):
        for i, line in enumerate(lines):
            record = json.loads(line)
            record["id"] = f"{record['id']}-{copy}"
            out.append(json.dumps(record, ensure_ascii=False).encode() + b"\n")
            if (copy * len(lines) + i) % 157 == 0:
                out.append(BAD[(copy + i) % len(BAD)])
    path = tmp_path_factory.mktemp("jobs") / "listings.jsonl"
    path.write_bytes(b"".join(out))
    return path


def _scan(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wildtrace.cli", "scan", *args, "-q"], capture_output=True, text=True,
                          cwd=cwd, timeout=600, env={**os.environ, "WILDTRACE_DATA_DIR": str(cwd / "data"), **env})


def _without_time(path: Path) -> list[dict[str, object]]:
    out = []
    for line in path.read_bytes().splitlines():
        record = json.loads(line)
        record.pop("scanned_at")
        out.append(record)
    return out


def test_jobs_2_writes_what_one_process_writes(listings: Path, tmp_path: Path) -> None:
    """JSON Lines, the shipped text model (chunks of 256), rejects and summary: identical."""
    runs = {}
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}.jsonl"
        r = _scan([str(listings), "-o", str(out), "--jobs", jobs, "--rejects", str(tmp_path / f"rej{jobs}.jsonl"),
                   "--summary-json", str(tmp_path / f"sum{jobs}.json")], tmp_path, WILDTRACE_TEXT_MODEL="shipped")
        assert r.returncode == 3, r.stderr[-3000:]  # some records were rejected
        runs[jobs] = r
    first, second = _without_time(tmp_path / "out1.jsonl"), _without_time(tmp_path / "out2.jsonl")
    assert len(first) > 2 * CHUNK and first == second
    assert any("text_model" in str(r["model"]) for r in first)
    assert (tmp_path / "rej1.jsonl").read_bytes() == (tmp_path / "rej2.jsonl").read_bytes()
    assert (tmp_path / "sum1.json").read_bytes() == (tmp_path / "sum2.json").read_bytes()
    assert runs["1"].stderr == runs["2"].stderr  # each reject said, in order


@pytest.mark.skipif(not BIRD_ADS.exists(), reason="the shared real ads are not on this machine")
def test_jobs_2_on_real_ads_as_csv(tmp_path: Path) -> None:
    """Real classified ads (latin-1 CSV) to CSV output: the workers' rendered chunks follow the
    header exactly as one process writes them."""
    head = b"".join(BIRD_ADS.read_bytes().splitlines(keepends=True)[:1300])
    src = tmp_path / "ads.csv"
    src.write_bytes(head)
    outs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}.csv"
        r = _scan([str(src), "-o", str(out), "--format", "csv", "--encoding", "latin-1", "--jobs", jobs,
                   "--map", "id=classifieds_unique_listing_id", "--map", "text=text_stop_stem"], tmp_path)
        assert r.returncode == 0, r.stderr[-3000:]
        with out.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        at = rows[0].index("scanned_at")
        outs.append([row[:at] + row[at + 1:] for row in rows])
    assert len(outs[0]) == 1300 and outs[0] == outs[1]


def test_jobs_2_with_a_store_writes_it_from_one_process(listings: Path, tmp_path: Path) -> None:
    counts = []
    for jobs in ("1", "2"):
        db = tmp_path / f"scans{jobs}.sqlite"
        out = tmp_path / f"out{jobs}.jsonl"
        r = _scan([str(listings), "-o", str(out), "--jobs", jobs, "--db", str(db)], tmp_path)
        assert r.returncode == 3, r.stderr[-3000:]
        with sqlite3.connect(db) as con:
            counts.append([con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608
                           for t in ("listings", "scan_results")])
        assert _without_time(out)
    assert counts[0] == counts[1] and counts[0][0] > 2 * CHUNK
    assert _without_time(tmp_path / "out1.jsonl") == _without_time(tmp_path / "out2.jsonl")


def test_the_library_runs_jobs_through_the_one_ingest(scanner: Scanner, tmp_path: Path) -> None:
    """``ingest(items, ScannerSpec, sinks, jobs=2)``: plain dicts, bad ones among them, come back
    as one process gives them (a bad dict's reject names its place in the whole input)."""
    records: list[dict[str, object]] = [json.loads(line) for line in DEMO.read_text(encoding="utf-8").splitlines()]
    records.insert(5, {"title": "no id"})
    records.insert(20, {"id": "x", "images": {"not": "a list"}})
    one, two = Collected(), Collected()
    s1 = ingest(list(records), scanner, one.sinks())
    spec = ScannerSpec(Settings(data_dir=tmp_path / "data", text_model="none"))
    s2 = ingest(list(records), spec, two.sinks(), jobs=2)
    assert [r.to_dict() | {"scanned_at": ""} for r in one.results] == \
        [r.to_dict() | {"scanned_at": ""} for r in two.results]
    assert one.rejects == two.rejects and one.rejects
    assert s1.to_dict() == s2.to_dict()


def test_summaries_of_chunks_merge_into_the_summary_of_the_whole(scanner: Scanner) -> None:
    """Counts, first-seen order, the top risks with their ties in input order, and the rejects."""
    records: list[dict[str, object]] = [json.loads(line) for line in DEMO.read_text(encoding="utf-8").splitlines()]
    items: list[object] = list(scanner.scan(records * 3 + [{"title": "no id"}] + records))
    whole = ingest(items, None, Sinks(), top_n=4)  # type: ignore[arg-type]
    for cuts in ((0, 7, 50, len(items)), (0, 1, 2, 104, 105, len(items)), (0, len(items))):
        merged = Summary(top_n=4)
        for a, b in zip(cuts, cuts[1:], strict=False):
            merge_summary(merged, ingest(items[a:b], None, Sinks(), top_n=4))  # type: ignore[arg-type]
        assert merged.to_dict() == whole.to_dict()
    assert all(isinstance(i, ScanResult) for i in items[:10])


def test_jobs_default_to_every_core_for_large_inputs_only(tmp_path: Path, listings: Path) -> None:
    assert default_jobs(None) == 1  # stdin
    assert default_jobs(AUTO_BYTES - 1) == 1
    assert default_jobs(AUTO_BYTES) == parallel.cores()
    r = _scan([str(listings), "--jobs", "0"], tmp_path)
    assert r.returncode == 2 and "--jobs must be 1 or more" in r.stderr


def test_raw_json_lines_split_for_the_workers_read_as_one_reader_does(scanner: Scanner, tmp_path: Path) -> None:
    """The workers parse JSON Lines themselves: over small chunks, a byte-order mark on line 1 (read)
    and on a later line (rejected), blank lines, an over-long line, bad JSON and a non-UTF-8 line
    give the same records, line numbers and rejects as one reader, and the same summary."""
    from wildtrace.parallel import ingest_parallel, read_input
    from wildtrace.scan.readers import read_listings

    demo = DEMO.read_bytes().splitlines(keepends=True)
    data = b"\xef\xbb\xbf" + demo[0] + b"\n\n" + b"".join(demo[1:9]) + b"\xef\xbb\xbf" + demo[9] + \
        b'{"id": "long", "title": "' + b"x" * 3000 + b'"}\n' + demo[10] + b"{oops\n" + b"\xff\xfe bad\n" + \
        b"\n" + b"".join(demo[11:30]) + b"   \n" + demo[30]
    settings = Settings(data_dir=tmp_path / "data", text_model="none", max_record_bytes=2000)
    limits = {"max_field_chars": settings.max_field_chars, "max_record_bytes": settings.max_record_bytes,
              "limits": settings.record_limits}
    path = tmp_path / "in.jsonl"
    path.write_bytes(data)
    one = Collected()
    with path.open("rb") as fh:
        s1 = ingest(read_listings(fh, name=str(path), **limits), Scanner(settings), one.sinks())  # type: ignore[arg-type]
    assert [r.line for r in one.rejects] == [12, 13, 15, 16] and len(one.results) == 30
    for chunk in (1, 3, 7):
        two = Collected()
        with path.open("rb") as fh:
            s2 = ingest_parallel(read_input(fh, name=str(path), **limits), ScannerSpec(settings),  # type: ignore[arg-type]
                                 two.sinks(), jobs=2, chunk=chunk)
        assert one.rejects == two.rejects
        assert [(r.id, r.listing, r.verdict, r.reasons) for r in one.results] == \
            [(r.id, r.listing, r.verdict, r.reasons) for r in two.results]
        assert s1.to_dict() == s2.to_dict()


def test_a_scanner_the_workers_cannot_build_is_one_line_and_exit_2(listings: Path, tmp_path: Path) -> None:
    """The error a worker meets building its scanner reaches the parent whole (not a traceback)."""
    said = []
    for jobs in ("1", "2"):
        r = _scan([str(listings), "-o", str(tmp_path / "out.jsonl"), "--jobs", jobs], tmp_path,
                  WILDTRACE_TEXT_MODEL=str(tmp_path / "no-model"))
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr[-2000:]
        said.append(r.stderr)
    assert said[0] == said[1] and "not a model directory" in said[0]


def test_workers_are_spawned_from_a_threaded_process_with_the_same_output(scanner: Scanner, tmp_path: Path) -> None:
    """From one thread (the CLI) the workers are forked with the scanner built; while another
    thread runs (the workbench) forking is unsafe, so they are spawned and build their own. Both
    give what one process gives, and a scanner a spawned worker cannot build is the same error."""
    import threading

    from wildtrace.errors import WildTraceError

    records: list[dict[str, object]] = [json.loads(line) for line in DEMO.read_text(encoding="utf-8").splitlines()]
    one = Collected()
    ingest(list(records), scanner, one.sinks())
    spec = ScannerSpec(Settings(data_dir=tmp_path / "data", text_model="none"))
    # a fresh interpreter runs one thread: it forks (this test process may run others' threads)
    fresh = subprocess.run([sys.executable, "-c", "from wildtrace import parallel; print(parallel._can_fork())"],
                           capture_output=True, text=True, timeout=120, check=True)
    assert fresh.stdout.strip() == "True"
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    try:
        assert not parallel._can_fork()  # noqa: SLF001
        spawned = Collected()
        ingest(list(records), spec, spawned.sinks(), jobs=2)
        bad = ScannerSpec(Settings(data_dir=tmp_path / "data", text_model=str(tmp_path / "no-model")))
        with pytest.raises(WildTraceError, match="not a model directory"):
            ingest(list(records), bad, Collected().sinks(), jobs=2)
    finally:
        stop.set()
        other.join()
    assert [r.to_dict() | {"scanned_at": ""} for r in one.results] == \
        [r.to_dict() | {"scanned_at": ""} for r in spawned.results]
    assert parallel._SCANNER == []  # noqa: SLF001 - a forked scan leaves no scanner behind in the parent
