"""The text model as a scorer: combines each rules result with the model's calibrated probability.

``TextModelScorer`` plugs into ``Scanner(scorer=...)``: the scan's match-form text goes through
the model a chunk at a time; the verdict, ``wildlife_score`` and ``risk_score`` follow the
model within what the facets allow (``scan.verdict.decide``), the rules' reasons stay (the review priority restated with the new risk score), one reason
(``model.text``) names the model with the words that raise the score, and ``model`` names both parts.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from wildtrace.errors import ConfigError
from wildtrace.learn import dataset, features
from wildtrace.learn import model as learn_model
from wildtrace.learn.model import TextModel
from wildtrace.scan import reasons
from wildtrace.scan.listing import Listing
from wildtrace.scan.reasons import Reason
from wildtrace.scan.result import ScanResult
from wildtrace.scan.verdict import decide

#: Listings scored together by the text model.
CHUNK = 256


class TextModelScorer:
    chunk = CHUNK

    def __init__(self, model: TextModel):
        if model.meta.get("target", "wildlife_offer") != "wildlife_offer":
            raise ConfigError(f"model {model.name} predicts {model.meta.get('target')!r}, not wildlife_offer; "
                              "the scan can only combine a wildlife_offer model with its rules")
        self.model = model
        self._stamps: dict[tuple[str, str], dict[str, str]] = {}

    @classmethod
    def load(cls, model_dir: Path | str) -> TextModelScorer:
        return cls(learn_model.load(Path(model_dir)))

    def stamp(self, rules: dict[str, str]) -> dict[str, str]:
        """The provenance of the combination: the rules' stamp and the model's."""
        key = (rules.get("name", ""), rules.get("version", ""))
        if key not in self._stamps:
            m = self.model
            self._stamps[key] = {
                **rules, "name": f"{rules['name']}+{m.name}", "version": f"{rules['version']}+{m.version}",
                "rules": f"{rules['name']} {rules['version']}", "text_model": f"{m.name} {m.version}",
                "text_model_training_data_sha256": str(m.meta.get("training_data_sha256", ""))[:16]}
        return self._stamps[key]

    def score(self, pairs: list[tuple[ScanResult, Listing]]) -> None:
        m = self.model
        # the scan already put the text in match form: the same text features.listing_text makes
        texts = [r.match_text or features.listing_text(listing) for r, listing in pairs]
        rules = [r.wildlife_score for r, _ in pairs]
        probs = m.predict_texts(texts, np.array([dataset.rule_logit(s) for s in rules])).tolist()
        # the words that raise the score, hashed for all the chunk's offers at once
        offers = [i for i, p in enumerate(probs) if p >= m.threshold]
        words: list[list[str]] = [[] for _ in probs]
        for i, picked in zip(offers, m.explain_many([texts[i] for i in offers]), strict=True):
            words[i] = picked
        for (result, _), rule_score, p, why in zip(pairs, rules, probs, words, strict=True):
            self._combine(result, why, rule_score, p)

    def _combine(self, result: ScanResult, words: list[str], rule_score: float, p: float) -> None:
        m = self.model
        factor = result.risk_score / rule_score if rule_score > 0 else 0.0
        rules_verdict = result.verdict
        # the model moves the score; the facets still bound the verdict (one definition: scan.verdict)
        verdict = decide(p, m.threshold, result.specimen, result.intent, result.specimen["value"] != "none")
        args = {"name": str(m.name), "version": str(m.version), "probability": float(p), "rules": float(rule_score),
                "threshold": float(m.threshold),
                "words": words if verdict == "wildlife_offer" else [],
                "rules_verdict": rules_verdict if verdict != rules_verdict else ""}
        reasons.add(result, Reason("model.text" if m.combo is not None else "model.text_alone", args))
        result.wildlife_score = round(p, 4)
        result.risk_score = round(min(1.0, p * factor), 4)
        # the rules' review-priority sentence names their risk score: restate it with the new one
        reasons.restate(result, "priority", risk=result.risk_score)
        result.verdict = verdict
        result.model = self.stamp(result.model)
