"""Honest evaluation: group-aware cross-validation, thresholds from validation folds only.

``cross_validate``: outer K folds split by group (seller, or any column, or
near-duplicate clusters). For each outer fold, ``training.train`` runs on the
training part only; it calibrates and picks its threshold on its own inner
out-of-fold predictions. The test fold is scored once, at that threshold.
Pooled test predictions give the metrics; a group bootstrap gives 95% CIs.

Baselines run beside the model on the same folds:
- ``keywords``: the 20 words most distinctive of positives in the training
  part (log-odds, ``codewords.top_terms``); score = how many a listing has;
- ``rules``: the rule scanner's wildlife_score (when computed);
- any fixed keyword list given by the caller.
Each baseline's threshold is also chosen on the training part only.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold

from wildtrace import metrics
from wildtrace.learn import codewords
from wildtrace.learn.dataset import Dataset
from wildtrace.learn.model import TextModel
from wildtrace.learn.training import DEFAULT_C, check_trainable, train

KEYWORD_BASELINE_SIZE = 20


@dataclass
class Evaluation:
    setting: dict[str, Any]
    y: np.ndarray
    score: np.ndarray
    pred: np.ndarray
    groups: np.ndarray
    langs: list[str]
    platforms: list[str]
    baselines: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    thresholds: list[float] = field(default_factory=list)
    reps: int = 1000
    seed: int = 0
    _report: dict[str, Any] | None = None

    def report(self) -> dict[str, Any]:
        if self._report is not None:
            return self._report
        point = metrics.summary(self.y, self.score, self.pred)
        ci = metrics.summary_ci(self.y, self.score, self.pred, self.groups, reps=self.reps, seed=self.seed)
        out: dict[str, Any] = {"setting": self.setting, "thresholds": self.thresholds,
                               "model": _clean(metrics.with_ci(point, ci))}
        out["baselines"] = {}
        for name, (s, p) in self.baselines.items():
            b_ci = metrics.summary_ci(self.y, s, p, self.groups, reps=self.reps, seed=self.seed)
            out["baselines"][name] = _clean(metrics.with_ci(metrics.summary(self.y, s, p), b_ci))
        out["by_lang"] = self._breakdown(self.langs)
        out["by_platform"] = self._breakdown(self.platforms)
        self._report = out
        return out

    def _breakdown(self, values: Sequence[str]) -> dict[str, Any]:
        arr = np.asarray(values, dtype=object)
        out = {}
        for value in sorted(set(values)):
            idx = np.nonzero(arr == value)[0]
            m = metrics.summary(self.y[idx], self.score[idx], self.pred[idx])
            out[value] = _clean({k: m[k] for k in ("n", "positives", "precision", "recall", "f1", "pr_auc")})
        return out


def _clean(d: dict[str, Any]) -> dict[str, Any]:
    def fix(v: Any) -> Any:
        if isinstance(v, float):
            return None if math.isnan(v) else round(v, 4)
        if isinstance(v, list):
            return [fix(x) for x in v]
        if isinstance(v, dict):
            return {k: fix(x) for k, x in v.items()}
        return v
    return {k: fix(v) for k, v in d.items()}


def keyword_score(texts: Sequence[str], keywords: Sequence[str]) -> np.ndarray:
    """How many of the keywords (whole words or phrases) each normalised text contains."""
    if not keywords:
        return np.zeros(len(texts))
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(k) for k in sorted(keywords, key=len, reverse=True))
                         + r")\b")
    return np.array([len(set(pattern.findall(t))) for t in texts], dtype=np.float64)


def _cut(y: np.ndarray, s: np.ndarray) -> float:
    return metrics.best_f1_threshold(y, s)


def cross_validate(ds: Dataset, *, folds: int = 5, seed: int = 0, c: float = DEFAULT_C,
                   inner_folds: int = 5, keywords: dict[str, Sequence[str]] | None = None,
                   reps: int = 1000, setting: dict[str, Any] | None = None) -> Evaluation:
    k = check_trainable(ds.y, ds.groups, folds)
    n = len(ds)
    score = np.zeros(n)
    pred = np.zeros(n, dtype=bool)
    names = ["keywords"] + (["rules"] if ds.rule_logit is not None else []) + list(keywords or {})
    base = {name: (np.zeros(n), np.zeros(n, dtype=bool)) for name in names}
    thresholds = []
    splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    for tr, te in splitter.split(np.zeros(n), ds.y, ds.groups.astype(str)):
        train_ds, test_ds = ds.subset(tr), ds.subset(te)
        model = train(train_ds, folds=inner_folds, seed=seed, c=c)
        p = model.probability(test_ds.x, test_ds.rule_logit)
        score[te], pred[te] = p, p >= model.threshold
        thresholds.append(round(model.threshold, 4))
        learned = codewords.top_terms(train_ds.texts, train_ds.y, KEYWORD_BASELINE_SIZE)
        lists: dict[str, Sequence[str]] = {"keywords": learned, **(keywords or {})}
        for name, words in lists.items():
            s_tr, s_te = keyword_score(train_ds.texts, words), keyword_score(test_ds.texts, words)
            base[name][0][te], base[name][1][te] = s_te, s_te >= _cut(train_ds.y, s_tr)
        if ds.rule_logit is not None:
            assert train_ds.rule_logit is not None and test_ds.rule_logit is not None
            cut = _cut(train_ds.y, train_ds.rule_logit)
            base["rules"][0][te], base["rules"][1][te] = test_ds.rule_logit, test_ds.rule_logit >= cut
    info = {"mode": "cross-validation", "folds": k, "inner_folds": inner_folds, "seed": seed, "C": c,
            "n": n, "positives": int(ds.y.sum()), "groups": len(set(ds.groups.tolist())),
            "bootstrap": f"{reps} resamples of whole groups, 95% percentile interval"}
    info.update(setting or {})
    return Evaluation(info, ds.y, score, pred, ds.groups, ds.langs, ds.platforms, base, thresholds, reps, seed)


def holdout(model: TextModel, ds: Dataset, *, reps: int = 1000, seed: int = 0,
            setting: dict[str, Any] | None = None) -> Evaluation:
    """Score a saved model on labelled listings it was not trained on, at its own threshold."""
    p = model.probability(ds.x, ds.rule_logit)
    info = {"mode": "saved model on held-out labels", "model": model.name, "version": model.version,
            "threshold": model.threshold, "n": len(ds), "positives": int(ds.y.sum()),
            "bootstrap": f"{reps} resamples of whole groups, 95% percentile interval"}
    info.update(setting or {})
    base: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    if ds.rule_logit is not None:
        base["rules"] = (ds.rule_logit, ds.rule_logit >= 0.0)
    return Evaluation(info, ds.y, p, p >= model.threshold, ds.groups, ds.langs, ds.platforms, base,
                      [model.threshold], reps, seed)


_ROWS = (("precision", "precision"), ("recall", "recall"), ("f1", "F1"), ("pr_auc", "PR-AUC"),
         ("roc_auc", "ROC-AUC"), ("precision_at_1pct", "precision@top 1%"),
         ("precision_at_5pct", "precision@top 5%"), ("recall_at_1pct", "recall@budget 1%"),
         ("recall_at_5pct", "recall@budget 5%"), ("recall_at_p90", "recall at 0.90 precision"),
         ("precision_at_r95", "precision at 0.95 recall"))


def render(report: dict[str, Any]) -> str:
    s = report["setting"]
    lines = [f"{s['mode']}: {s['n']:,} listings, {s['positives']:,} positive"
             + (f", {s['groups']:,} groups ({s.get('group_by', 'none')})" if "groups" in s else ""),
             f"bootstrap: {s['bootstrap']}"]
    columns = {"model": report["model"], **report.get("baselines", {})}
    lines.append(f"{'':28}" + "".join(f"{name:>24}" for name in columns))
    for key, label in _ROWS:
        cells = []
        for col in columns.values():
            v = col.get(key)
            if isinstance(v, dict):
                lo, hi = v["ci95"]
                cells.append(f"{_f(v['value'])} [{_f(lo)}, {_f(hi)}]")
            else:
                cells.append(_f(v))
        lines.append(f"{label:28}" + "".join(f"{c:>24}" for c in cells))
    for title, key in (("language", "by_lang"), ("platform", "by_platform")):
        lines.append(f"by {title}:")
        for value, m in report[key].items():
            lines.append(f"  {value:12} n={int(m['n']):>6,} pos={int(m['positives']):>5,}  P={_f(m['precision'])} "
                         f"R={_f(m['recall'])} F1={_f(m['f1'])} PR-AUC={_f(m['pr_auc'])}")
    return "\n".join(lines)


def _f(v: Any) -> str:
    return "n/a" if v is None else f"{v:.3f}"
