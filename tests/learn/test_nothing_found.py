"""Commands that find nothing say so (issue 29, item 11): no silent empty output."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from wildtrace.cli import cli, load_commands


def _run(args: list[str], tmp_path: Path) -> tuple[int, str, str]:
    load_commands()
    r = CliRunner().invoke(cli, args, env={"WILDTRACE_DATA_DIR": str(tmp_path / "data")})
    return r.exit_code, r.stdout, r.stderr


def test_label_list_says_when_there_are_no_labels_or_no_conflicts(tmp_path: Path, listings_file: Path,
                                                                  labels_file: Path) -> None:
    code, out, err = _run(["label", "list"], tmp_path)
    assert code == 0 and out == "" and "no labels stored yet" in err
    assert _run(["label", "import", str(labels_file), "--listings", str(listings_file)], tmp_path)[0] == 0
    code, out, err = _run(["label", "list", "--conflicts"], tmp_path)
    assert code == 0 and out == "" and "no conflicting labels" in err


def test_similar_says_when_every_listing_is_labelled(tmp_path: Path, listings_file: Path, labels_file: Path) -> None:
    code, out, err = _run(["similar", str(listings_file), "--labels", str(labels_file)], tmp_path)
    assert code == 0 and out == "" and "every listing is labelled already" in err, err
