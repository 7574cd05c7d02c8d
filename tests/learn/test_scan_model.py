"""scan --model and the local lexicon, through the Scanner and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from wildtrace import Scanner, Settings
from wildtrace.cli import cli, load_commands
from wildtrace.learn import dataset, model, training
from wildtrace.learn.combine import TextModelScorer
from wildtrace.scan.listing import Listing
from wildtrace.store.lexicon import LocalLexicon


@pytest.fixture(scope="module")
def saved_model(listings: list[Listing], targets: dict[str, int], tmp_path_factory: pytest.TempPathFactory) -> Path:
    plain = Scanner(Settings(data_dir=tmp_path_factory.mktemp("d")), scorer=None)
    ds, _ = dataset.build(listings, targets, group_by="seller", detector=plain.detector)
    out = tmp_path_factory.mktemp("model")
    training.train(ds, folds=3).save(out)
    return out


def test_scan_with_model_combines_and_explains(saved_model: Path, tmp_path: Path) -> None:
    plain = Scanner(Settings(data_dir=tmp_path), scorer=None)
    combined = Scanner(Settings(data_dir=tmp_path), scorer=TextModelScorer.load(saved_model))
    items = [{"id": "a", "title": "rhino horn piece genuine"}, {"id": "bad"},
             {"id": "b", "title": "garden hose 20m"}, {"id": None}, {"id": "c", "title": "pangolin scales for medicine"}]
    before = [r for r in plain.scan(items)]
    after = [r for r in combined.scan(items * 200)]  # several chunks, order kept, rejects kept
    assert len(after) == 1000
    kinds = [type(r).__name__ for r in after]
    assert kinds == ["ScanResult", "ScanResult", "ScanResult", "Reject", "ScanResult"] * 200
    assert [getattr(r, "id", None) for r in after[-5:]] == ["a", "bad", "b", None, "c"]
    a_rules, a = before[0], after[0]
    assert a.verdict == "wildlife_offer" and a.wildlife_score != a_rules.wildlife_score
    assert a.model["name"] == "wildtrace-rules+wildtrace-text", a.model
    assert a.model["rules"].startswith("wildtrace-rules") and a.model["text_model"].startswith("wildtrace-text")
    def unprioritised(reasons: list[str]) -> list[str]:  # the review priority is restated with the new risk
        return [r.split(":", 1)[1] if r.startswith("Review priority ") else r for r in reasons]

    assert unprioritised(a.reasons[:-1]) == unprioritised(a_rules.reasons), "rule reasons are kept"
    assert all(r.startswith(f"Review priority {a.risk_score:.2f}:") for r in a.reasons if r.startswith("Review priority"))
    assert a.reasons[-1].startswith("Text model wildtrace-text") and "horn" in a.reasons[-1], a.reasons[-1]
    assert after[2].verdict == "not_wildlife"


def test_keyword_free_offer_found_by_model(saved_model: Path, tmp_path: Path) -> None:
    # "totoaba maw" appears in the labelled offers; the lexicon may or may not know it,
    # a listing in the labelled style with an obfuscated spelling is still scored high
    combined = Scanner(Settings(data_dir=tmp_path), scorer=TextModelScorer.load(saved_model))
    (r,) = combined.scan([{"id": "x", "title": "t0t0aba m a w dried bladder"}])
    assert r.wildlife_score > 0.5, (r.wildlife_score, r.reasons)


def test_incompatible_model_for_scan(saved_model: Path, tmp_path: Path) -> None:
    m = model.load(saved_model)
    m.meta["target"] = "label2"
    with pytest.raises(Exception, match="not wildlife_offer"):
        Scanner(Settings(data_dir=tmp_path), scorer=TextModelScorer(m))


def test_local_lexicon_is_used_by_scan(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    listing = {"id": "1", "title": "zebrawood bangle, old stock, WhatsApp me"}
    (before,) = Scanner(settings).scan([listing])
    with LocalLexicon.for_settings(settings) as lexicon:
        v = lexicon.add("zebrawood bangle", means_product="ivory products", means_taxon="Elephantidae",
                        author="ana", note="seen in 12 confirmed posts")
    assert v == 1
    (after,) = Scanner(settings).scan([listing])
    assert not any(m.kind == "code_word" for m in before.matches)
    code = [m for m in after.matches if m.kind == "code_word"]
    assert code and code[0].matched == "zebrawood bangle", after.matches
    assert after.wildlife_score > before.wildlife_score
    assert after.model["local_lexicon"].startswith("v1 ")
    assert any("local lexicon v1" in r for r in after.reasons), after.reasons


def test_local_lexicon_versions(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    log = LocalLexicon.for_settings(settings)
    log.add("white plastic carving", author="ana")
    log.add("ox bone", kind="code_word", context_required=True, author="bob")
    with pytest.raises(Exception, match="already"):
        log.add("Ox Bone")
    assert log.remove("ox bone", author="ana") == 3
    assert [t.term for t in log.terms()[1]] == ["white plastic carving"]
    assert [t.term for t in log.terms(version=2)[1]] == ["ox bone", "white plastic carving"]
    csv_text = log.export()
    log.close()
    assert csv_text.splitlines()[0].startswith("term,lang,means_product,means_taxon,context_required")
    assert "local lexicon v3" in csv_text


def test_cli_train_scan_evaluate_queue_similar_lexicon(listings_file: Path, labels_file: Path, tmp_path: Path) -> None:
    load_commands()
    env = {"WILDTRACE_DATA_DIR": str(tmp_path / "data")}
    run = CliRunner().invoke
    res = run(cli, ["label", "import", str(labels_file), "--listings", str(listings_file)], env=env)
    assert res.exit_code == 0, res.output
    res = run(cli, ["train", str(listings_file), "-o", str(tmp_path / "m"), "--group-by", "seller", "--folds", "3"],
              env=env)
    assert res.exit_code == 0, res.output
    res = run(cli, ["scan", str(listings_file), "--model", str(tmp_path / "m")], env=env)
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    assert len(rows) == 240 and all("+" in r["model"]["name"] for r in rows)
    res = run(cli, ["evaluate", str(listings_file), "--cv", "3", "--group-by", "seller", "--reps", "50", "--json"],
              env=env)
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert set(report["baselines"]) == {"keywords", "rules"}
    assert report["model"]["pr_auc"]["ci95"][0] <= report["model"]["pr_auc"]["value"]
    assert set(report["by_platform"]) == {"fb", "ebay"}
    res = run(cli, ["queue", str(listings_file), "--model", str(tmp_path / "m"), "-n", "5"], env=env)
    assert res.exit_code == 0 and res.stdout == "", "every listing is labelled: nothing to propose"
    res = run(cli, ["similar", str(listings_file), "--to", "t0", "-k", "3"], env=env)
    assert res.exit_code == 0, res.output
    res = run(cli, ["lexicon", "add", "totoaba maw", "--author", "ana"], env=env)
    assert res.exit_code == 0 and "v1" in res.output, res.output
    res = run(cli, ["lexicon", "list"], env=env)
    assert json.loads(res.stdout.splitlines()[0])["term"] == "totoaba maw", res.output
    res = run(cli, ["lexicon", "suggest", str(listings_file), "--json", "--top", "5"], env=env)
    assert res.exit_code == 0, res.output
    res = run(cli, ["scan", str(listings_file), "--model", str(tmp_path / "nope")], env=env)
    assert res.exit_code == 2, res.output
