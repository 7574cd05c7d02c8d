"""Every setting is documented, and read from the environment the way the docs say."""

from __future__ import annotations

from pathlib import Path

import pytest

from wildtrace.errors import ConfigError
from wildtrace.settings import FILES, OPTIONS, Settings

DOC = (Path(__file__).resolve().parent.parent / "docs" / "settings.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("option", OPTIONS, ids=lambda o: o.env)
def test_each_option_is_documented(option: object) -> None:
    assert f"`{option.env}`" in DOC and f"`{option.name}`" in DOC, f"{option} is missing from docs/settings.md"  # type: ignore[attr-defined]


@pytest.mark.parametrize("entry", FILES, ids=lambda f: f.file)
def test_each_data_file_is_documented(entry: object) -> None:
    assert f"`{entry.file}`" in DOC, f"{entry} is missing from docs/settings.md"  # type: ignore[attr-defined]


def test_files_live_under_the_data_folder(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path)
    for f in FILES:
        assert s.file(f.name) == tmp_path / f.file
    assert s.judgements == tmp_path / "judgements.jsonl" and s.local_lexicon == tmp_path / "local_lexicon.jsonl"
    assert s.db_target == tmp_path / "wildtrace.sqlite" and s.trade_db_target == tmp_path / "trade.duckdb"


def test_from_env_reads_each_option_and_refuses_bad_values(tmp_path: Path) -> None:
    s = Settings.from_env({"WILDTRACE_DATA_DIR": str(tmp_path), "WILDTRACE_DB": "postgresql://u@h:5/db",
                           "WILDTRACE_PORT": "9000", "WILDTRACE_MAX_FIELD_CHARS": "50"})
    assert (s.data_dir, s.db_target, s.port, s.max_field_chars) == (tmp_path, "postgresql://u@h:5/db", 9000, 50)
    with pytest.raises(ConfigError, match="WILDTRACE_PORT"):
        Settings.from_env({"WILDTRACE_PORT": "99999"})
    with pytest.raises(ConfigError, match="WILDTRACE_MAX_FIELD_CHARS"):
        Settings.from_env({"WILDTRACE_MAX_FIELD_CHARS": "-3"})
