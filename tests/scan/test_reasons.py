"""Reason codes: every code renders, every reason of the demo set has one and renders back to its
sentence, the sentences are those pinned in data/demo_reasons.json, and ``reason_codes``
round-trips through ``to_dict``/``from_dict``.

data/demo_reasons.json holds the demo set's reasons (rules only) as they were before reasons had
codes. When a change to the reference data or the rules changes them on purpose, regenerate it with
``.venv/bin/python tests/scan/test_reasons.py`` and review the diff.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from wildtrace import Settings
from wildtrace.errors import Invalid, InvalidRecord
from wildtrace.scan import reasons
from wildtrace.scan.reasons import CODES, Reason, render
from wildtrace.scan.result import ScanResult
from wildtrace.scan.scanner import Scanner

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "src/wildtrace/data/demo_listings.jsonl"
PINNED = Path(__file__).parent / "data" / "demo_reasons.json"

_TAXON = {"taxon": "Panthera tigris", "common_name": "tiger", "appendix": "I"}
_CUES = [{"term": "for sale", "field": "title"}, {"term": "150 USD", "field": "price"}]
_MODEL = {"name": "wildtrace-shipped", "version": "1.x", "probability": 0.934, "rules": 0.9047, "threshold": 0.5,
          "words": ["asli", "kg"], "rules_verdict": "not_wildlife"}
_ZOONOTIC = {"taxon": "Manis javanica", "basis": "genus", "products": ["live", "meat"]}
#: arguments for every code, and the sentence they give
SAMPLES: dict[str, tuple[dict[str, Any], str]] = {
    "taxon.named": ({**_TAXON, "term": "hổ", "field": "title"},
                    "Names Panthera tigris (tiger), CITES Appendix I, as “hổ” (title)."),
    "taxon.mentioned": ({**_TAXON, "common_name": "", "term": "tiger", "field": "text"},
                        "Mentions Panthera tigris, CITES Appendix I, as “tiger” (text), a word with an everyday sense"
                        " that counts only beside other wildlife evidence (none here)."),
    "taxon.from_codeword": ({**_TAXON, "appendix": "I/II", "term": "white gold"},
                            "Points to Panthera tigris (tiger), CITES Appendices I/II (split listing by population),"
                            " inferred from the code word “white gold”."),
    "taxon.from_product": ({**_TAXON, "appendix": "varies", "term": "ivory"},
                           "Points to Panthera tigris (tiger), CITES status varies by species, inferred from the"
                           " product word “ivory”."),
    "codeword": ({"term": "WG", "field": "title", "means": ["ivory products", "Elephantidae"], "source": "TRAFFIC"},
                 "Uses “WG” (title), a documented code word for ivory products, Elephantidae. Source: TRAFFIC."),
    "codeword.context": ({"term": "ox bone", "field": "text", "means": ["ivory products"], "source": "IFAW"},
                         "Uses “ox bone” (text), a documented code word for ivory products (innocent alone; counted"
                         " beside other wildlife evidence). Source: IFAW."),
    "product.named": ({"product": "ivory products", "term": "ivory", "field": "title"},
                      "Offers ivory products: “ivory” (title)."),
    "evidence.none": ({}, "No wildlife names, code words or wildlife products found."),
    "evidence.uncounted": ({}, "No wildlife names that count alone, code words or wildlife products found."),
    "intent.offer": ({"cues": _CUES}, "Shows sale intent: “for sale” (title), “150 USD” (price)."),
    "intent.wanted": ({"cues": _CUES[:1]}, "Asks to buy: “for sale” (title)."),
    "intent.report": ({"cues": _CUES[:1]}, "Reads as news, a seizure or court report, not an offer: “for sale”"
                      " (title); no contact, shipping, payment or offer wording."),
    "intent.information": ({"words": 41.6, "sale": _CUES[1:]}, "Reads as information, not an offer: prose of 42 words"
                           " with no contact, shipping, payment or offer wording (prices and sale words alone:"
                           " “150 USD” (price))."),
    "depiction": ({"term": "plush", "field": "title"},
                  "Depiction or faux cue “plush” (title): the item may depict or imitate wildlife."),
    "authenticity": ({"cues": _CUES[:1]}, "Claims the item is real: “for sale” (title)."),
    "legality": ({"cues": _CUES[:1]}, "Claims legality: “for sale” (title); such claims (antique, pre-Convention,"
                 " certificates) need documents and are a known laundering cover."),
    "sense.innocent": ({"term": "python", "field": "title"},
                       "“python” (title) is read in its innocent sense and not counted."),
    "sense.wildlife": ({"term": "python", "field": "title", "sense": "the snake", "cues": ["skin", "live"]},
                       "“python” (title) read as the snake (counted as wildlife): “skin”, “live”."),
    "sense.other": ({"term": "python", "field": "title", "sense": "the language", "cues": ["code"]},
                    "“python” (title) read as the language (not counted as wildlife): “code”."),
    "priority": ({"risk": 0.87656, "appendix": "not listed"},
                 "Review priority 0.88: highest protection among the taxa is CITES not listed."),
    "domestic": ({"cues": [{"term": "cowhide", "field": "title"}]},
                 "Real material of a domestic animal, not wildlife: “cowhide” (title)."),
    "model.text": (_MODEL, "Text model wildtrace-shipped 1.x: probability 0.93 of a wildlife offer (combined with the"
                   " rules' score, rules 0.90; threshold 0.50); words that raise it: “asli”, “kg”; the rules alone"
                   " said not_wildlife."),
    "model.text_alone": ({**_MODEL, "words": [], "rules_verdict": ""}, "Text model wildtrace-shipped 1.x: probability"
                         " 0.93 of a wildlife offer (text alone, rules 0.90; threshold 0.50)."),
    "zoonotic.hosts": ({**_ZOONOTIC, "pathogens": ["SARS-related coronaviruses"]},
                       "Zoonotic concern: offers Manis javanica (evidence pooled over its genus) as live, meat, a"
                       " recorded host of SARS-related coronaviruses (HP3, VIRION); live animals and fresh tissue"
                       " carry the highest exposure. Not a diagnosis."),
    "zoonotic.viruses": ({**_ZOONOTIC, "basis": ""},
                         "Zoonotic concern: offers Manis javanica as live, meat, a host of many viruses also recorded"
                         " in humans (HP3, VIRION); live animals and fresh tissue carry the highest exposure. Not a"
                         " diagnosis."),
    "definition.verdict": ({"definition": "cites-listed", "verdict": "not_wildlife"},
                           "Verdict under the definition “cites-listed”: not_wildlife."),
    "note": ({"text": "Anything {at} all [here]."}, "Anything {at} all [here]."),
}


def _scan_demo(data_dir: Path, **kwargs: Any) -> list[ScanResult]:
    listings = [json.loads(line) for line in DEMO.read_text(encoding="utf-8").splitlines() if line.strip()]
    return list(Scanner(Settings(data_dir=data_dir), **kwargs).scan(listings))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> list[ScanResult]:
    return _scan_demo(tmp_path_factory.mktemp("data"), scorer=None)


def test_every_code_renders() -> None:
    assert set(SAMPLES) == set(CODES), "a sample for every code"
    for code, (args, expected) in SAMPLES.items():
        reason = Reason(code, args)
        assert reason.text == render(code, args) == expected, code
        assert CODES[code].family and reason.family == CODES[code].family, code
        assert json.loads(json.dumps(reason.to_dict())) == {"code": code, "args": args}, code


def test_unknown_codes_and_missing_arguments_are_refused() -> None:
    with pytest.raises(Invalid, match="unknown reason code"):
        Reason("taxon.eaten", {})
    with pytest.raises(Invalid, match="missing argument term"):
        Reason("product.named", {"product": "ivory products", "field": "title"})


def test_demo_reasons_are_the_pinned_sentences(demo: list[ScanResult]) -> None:
    pinned = json.loads(PINNED.read_text(encoding="utf-8"))
    assert {r.id: r.reasons for r in demo} == pinned


def test_every_demo_reason_has_a_code_and_renders_back(demo: list[ScanResult]) -> None:
    families: dict[str, int] = {}
    for result in demo:
        out = json.loads(json.dumps(result.to_dict()))
        assert len(out["reason_codes"]) == len(out["reasons"]), result.id
        for coded, text in zip(out["reason_codes"], out["reasons"], strict=True):
            assert coded["code"] != "note", (result.id, text)  # every part of the scan gives codes
            assert render(coded["code"], coded["args"]) == text, (result.id, coded)
            families[CODES[coded["code"]].family] = families.get(CODES[coded["code"]].family, 0) + 1
    assert {"taxon", "product", "codeword", "intent", "depiction", "priority", "zoonotic"} <= set(families), families


def test_reason_codes_round_trip(demo: list[ScanResult]) -> None:
    for result in demo:
        data = json.loads(json.dumps(result.to_dict()))
        again = ScanResult.from_dict(data)
        assert again.to_dict() == data, result.id
        assert [r.code for r in again.reason_codes] == [c["code"] for c in data["reason_codes"]]


def test_results_without_reason_codes_still_read(demo: list[ScanResult]) -> None:
    data = demo[0].to_dict()
    del data["reason_codes"]
    old = ScanResult.from_dict(data)
    assert old.reasons == demo[0].reasons and old.reason_codes == []
    assert "reason_codes" not in old.to_dict(), "an old result writes back as it was read"


@pytest.mark.parametrize("bad", ["not a list", "too short", "not objects", "no args"])
def test_bad_reason_codes_are_an_invalid_record(demo: list[ScanResult], bad: str) -> None:
    data = demo[0].to_dict()
    n = len(data["reasons"])
    assert n > 1, data["reasons"]
    data["reason_codes"] = {"not a list": {"code": "priority"}, "too short": data["reason_codes"][:-1],
                            "not objects": [1] * n, "no args": [{"code": "priority"}] * n}[bad]
    with pytest.raises(InvalidRecord, match="reason_codes"):
        ScanResult.from_dict(data)


def test_a_code_this_version_does_not_know_is_kept() -> None:
    data = {"id": "x", "verdict": "not_wildlife", "risk_score": 0.0, "listing": {"id": "x"},
            "reasons": ["Said by a newer version."],
            "reason_codes": [{"code": "future.thing", "args": {"n": 1}}]}
    result = ScanResult.from_dict(data)
    assert result.reason_codes[0].text == "Said by a newer version."
    assert result.to_dict()["reason_codes"] == data["reason_codes"]


def test_sentences_added_without_a_code_read_as_notes() -> None:
    result = ScanResult.from_dict({"id": "x", "verdict": "not_wildlife", "risk_score": 0.0, "listing": {}})
    first = Reason("evidence.none")
    reasons.add(result, first)
    result.reasons.append("Added by an enricher.")
    reasons.add(result, Reason("definition.verdict", {"definition": "animal-derived", "verdict": "not_wildlife"}))
    assert [c["code"] for c in result.to_dict()["reason_codes"]] == ["evidence.none", "note", "definition.verdict"]
    assert result.to_dict()["reason_codes"][1]["args"] == {"text": "Added by an enricher."}


def test_restate_renders_the_priority_anew() -> None:
    result = ScanResult.from_dict({"id": "x", "verdict": "wildlife_offer", "risk_score": 0.0, "listing": {}})
    reasons.add(result, Reason("product.named", {"product": "live", "term": "live", "field": "title"}))
    reasons.add(result, Reason("priority", {"risk": 0.5, "appendix": "II"}))
    reasons.restate(result, "priority", risk=0.734)
    assert result.reasons[-1] == "Review priority 0.73: highest protection among the taxa is CITES Appendix II."
    assert result.reason_codes[-1].args == {"risk": 0.734, "appendix": "II"}
    assert result.reasons[0] == "Offers live: “live” (title)."


def test_with_the_text_model_the_priority_follows_the_combined_risk(tmp_path: Path) -> None:
    """Rules + the shipped model: the priority reason is re-rendered from its code with the
    combined risk score, and the model's reason is ``model.text``."""
    from wildtrace.learn import shipped

    for result in _scan_demo(tmp_path, scorer=shipped.scorer(shipped.SHIPPED)):
        codes = result.to_dict()["reason_codes"]
        assert codes[-1]["code"] == "model.text", (result.id, codes[-1])
        for coded, text in zip(codes, result.reasons, strict=True):
            if coded["code"] == "priority":
                assert coded["args"]["risk"] == result.risk_score, result.id
                assert text.startswith(f"Review priority {result.risk_score:.2f}: "), (result.id, text)
            assert coded["code"] != "note", (result.id, text)
            assert render(coded["code"], coded["args"]) == text, (result.id, coded)


if __name__ == "__main__":  # regenerate data/demo_reasons.json (review the diff before committing it)
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        got = {r.id: r.reasons for r in _scan_demo(Path(folder), scorer=None)}
    PINNED.write_text(json.dumps(got, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
