"""The scorer ``workbench`` (``WILDTRACE_TEXT_MODEL=workbench``): the model accepted in the
database's workbench, else the rules alone; a real SQLite store, a real trained model folder."""

from __future__ import annotations

from pathlib import Path

from wildtrace import Scanner, Settings
from wildtrace.learn import dataset, training
from wildtrace.learn.workbench import scanner_for
from wildtrace.scan.listing import Listing
from wildtrace.scan.result import ScanResult
from wildtrace.store import open_store, text_models

OFFER = {"id": "x1", "title": "rhino horn piece genuine", "seller": "s1"}


def _model(tmp_path: Path, listings: list[Listing], targets: dict[str, int]) -> tuple[Path, str, str]:
    ds, _ = dataset.build(listings, targets, group_by="seller", detector=Scanner(Settings(text_model="none"),
                                                                                   scorer=None).detector)
    model = training.train(ds, folds=3, name="workbench-test")
    folder = tmp_path / "data" / "models" / "20260101-000000-abcdef"
    model.save(folder)
    return folder, model.name, model.version


def _first(scanner: Scanner) -> ScanResult:
    (result,) = scanner.scan([OFFER])
    assert isinstance(result, ScanResult), result
    return result


def _scan(settings: Settings) -> ScanResult:
    return _first(Scanner(settings))


def test_the_accepted_model_or_the_rules_alone(tmp_path: Path, listings: list[Listing],
                                               targets: dict[str, int]) -> None:
    db = tmp_path / "w.sqlite"
    settings = Settings(data_dir=tmp_path / "data", db=str(db), text_model="workbench")
    assert "text_model" not in _scan(settings).model  # no database yet: the rules alone
    assert not db.exists()  # and none was made
    st = open_store(db)
    folder, name, version = _model(tmp_path, listings, targets)
    text_models.add(st.engine, model_id=folder.name, path=str(folder), name=name, version=version,
                    created_by="ana", labels=len(targets), positives=sum(targets.values()), evaluation={})
    assert "text_model" not in _scan(settings).model  # a candidate is not used
    assert "text_model" not in _first(scanner_for(Settings(text_model="none"), st.engine)).model
    text_models.accept(st.engine, folder.name, "ana")
    assert _scan(settings).model["text_model"] == f"{name} {version}"
    # the workbench's scanner uses the accepted model whatever the setting names
    result = _first(scanner_for(Settings(text_model="none"), st.engine))
    assert result.model["text_model"] == f"{name} {version}", result.model
    st.close()

