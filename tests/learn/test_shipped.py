"""The text model that ships in the package: provenance, the default scan, the setting, the
self-generated training data. Its quality is measured on real text (docs/evaluation.md), not here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from wildtrace import Scanner, Settings
from wildtrace.cli import cli, load_commands
from wildtrace.errors import ConfigError
from wildtrace.learn import model, shipped, synthetic
from wildtrace.scan.result import ScanResult
from wildtrace.taxa import refdata

OFFER = {"id": "o", "title": "Dijual sisik trenggiling asli 1 kg, WA 0812 3456 7890"}
GOODS = {"id": "g", "title": "Sepeda gunung bekas kondisi bagus Rp 1.500.000, WA 0812 3456 7890"}


def test_the_shipped_model_loads_with_its_provenance() -> None:
    m = model.load(shipped.MODEL_DIR)  # checks the weights' SHA-256 against model.json
    assert m.name == "wildtrace-shipped" and m.meta["target"] == "wildlife_offer"
    assert "no real listing" in m.meta["training_data"]
    assert len(m.meta["training_data_sha256"]) == 64 and m.combo is not None, "trained to combine with the rules"
    assert 0 < m.threshold < 1
    # trained beside the rules it combines with: a new rules version needs a retrained model
    rules = refdata.load().rules
    assert m.meta["rules"]["version"] == str(rules["version"]), \
        "rules changed since the shipped model was trained: run scripts/train_shipped_model.py"
    assert (shipped.MODEL_DIR / "weights.npz").stat().st_size < 5_000_000


def test_the_default_scan_is_the_rules_alone_and_the_shipped_model_is_opt_in(tmp_path: Path) -> None:
    """The shipped model was trained on self-written listings and does not beat the rules on real
    text (docs/learn.md): the default is the rules alone; ``text_model=shipped`` combines it."""
    scanner = Scanner(Settings(data_dir=tmp_path))
    (plain,) = scanner.scan([OFFER])
    assert isinstance(plain, ScanResult) and plain.model["name"] == "wildtrace-rules"
    assert "text_model" not in plain.model and not any(r.startswith("Text model") for r in plain.reasons)
    combined = Scanner(Settings(data_dir=tmp_path, text_model=shipped.SHIPPED))
    offer, goods = combined.scan([OFFER, GOODS])
    assert isinstance(offer, ScanResult) and isinstance(goods, ScanResult)
    assert offer.verdict == "wildlife_offer" and goods.verdict == "not_wildlife"
    assert offer.model["text_model"].startswith("wildtrace-shipped")
    assert any(r.startswith("Text model wildtrace-shipped") for r in offer.reasons), offer.reasons


def test_a_bad_text_model_setting_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a model directory"):
        shipped.scorer(str(tmp_path))
    with pytest.raises(ConfigError, match="not a model directory"):  # the same, resolved by the scanner
        Scanner(Settings(data_dir=tmp_path, text_model=str(tmp_path)))


def test_scorers_are_registered_by_name(tmp_path: Path) -> None:
    """A plugin's scorer is chosen by its name in the setting, like the built-ins."""
    from wildtrace import plugins

    class Shout:
        chunk = 8

        def score(self, pairs: list) -> None:  # type: ignore[type-arg]
            for result, _ in pairs:
                result.verdict = "wildlife_offer"

    plugins.scorers.register("shout")(lambda settings, choice: Shout())
    try:
        (r,) = Scanner(Settings(data_dir=tmp_path, text_model="shout")).scan([GOODS])
        assert isinstance(r, ScanResult) and r.verdict == "wildlife_offer"
    finally:
        plugins.scorers._entries.pop("shout")


def _scan(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    load_commands()
    res = CliRunner().invoke(cli, ["scan", *args], input=json.dumps(OFFER) + "\n", env=env)
    return res.exit_code, res.stdout, res.stderr


def test_cli_default_rules_only_and_setting(tmp_path: Path) -> None:
    env = {"WILDTRACE_DATA_DIR": str(tmp_path)}
    code, out, _ = _scan([], env)
    assert code == 0 and json.loads(out)["model"]["name"] == "wildtrace-rules"
    code, out, _ = _scan([], {**env, "WILDTRACE_TEXT_MODEL": "shipped"})
    assert code == 0 and json.loads(out)["model"]["name"] == "wildtrace-rules+wildtrace-shipped"
    code, out, _ = _scan(["--rules-only"], {**env, "WILDTRACE_TEXT_MODEL": "shipped"})
    assert code == 0 and json.loads(out)["model"]["name"] == "wildtrace-rules"
    code, out, err = _scan([], {**env, "WILDTRACE_TEXT_MODEL": str(tmp_path / "missing")})
    assert code == 2 and out == "" and "Traceback" not in err
    assert err.count("\n") == 1 and "text model" in err


def test_synthetic_training_data_is_deterministic_and_covers_every_language() -> None:
    ref = refdata.load()
    small = dict.fromkeys(synthetic.COUNTS, 4)
    a = synthetic.generate(ref, seed=1, counts=small)
    b = synthetic.generate(ref, seed=1, counts=small)
    assert [e.listing.id for e in a] == [e.listing.id for e in b]
    langs = {e.group.split(":")[1] for e in a if e.family in synthetic.COUNTS}
    assert langs == set(synthetic.load_frames()["frames"])
    for family in synthetic.COUNTS:
        labels = {e.label for e in a if e.family == family}
        assert labels == {int(family in synthetic.POSITIVE)}, family
    assert {e.label for e in a if e.family == "sense_other"} == {0}
    assert all(e.listing.extra["frame"] == e.group for e in a)
