from __future__ import annotations

from pathlib import Path

import pytest

from wildtrace import Scanner, Settings

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def scanner(tmp_path_factory: pytest.TempPathFactory) -> Scanner:
    """The rules alone, with the built-in data only (an empty user data dir, no text model)."""
    return Scanner(Settings(data_dir=tmp_path_factory.mktemp("data"), text_model="none"))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture(scope="session")
def scan_one(scanner: Scanner):  # type: ignore[no-untyped-def]
    """Scan one listing given as keyword fields; returns its ScanResult."""

    def scan(**fields: str):  # type: ignore[no-untyped-def]
        results = list(scanner.scan([{"id": "t", **fields}]))
        assert len(results) == 1
        return results[0]

    return scan
