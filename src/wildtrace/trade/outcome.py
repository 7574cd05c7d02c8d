"""LEMIS outcome model: predict refused or seized shipments from declaration fields only.

Target: ``action = 'R'`` (refused) or ``disposition = 'S'`` (seized). ``action``,
``disposition*`` and ``cleaning_notes`` are never features (they record the outcome).
The leakage audit scores each remaining field alone on the validation year; fields whose
values nearly decide the outcome (e.g. ``source = U``, recorded when the source could not
be established at inspection) are reported and a model without them is fitted too.

Some *values* record the outcome too, though their field does not: LEMIS origin ``XX``
(unknown) is set by inspectors when a shipment is seized or refused and its origin cannot be
established (on the real amphibian files, 76 of the 231 refused or seized test line items have
origin XX, against 10 of the 7,344 cleared ones). ``OUTCOME_VALUES`` lists them; the model
without suspected leaks reads those values as missing (the field's other values stay), so its
figure is what a declaration alone predicts.

Split: time-forward (train <= ``val_year`` - 1, validate on ``val_year``, test on later
years, looked at once). Metrics: PR-AUC (average precision), precision at an inspection
budget of the top 1% and 5% of line items (k = ceil(share x n), ties at the cut shared), lift
over random, 95% bootstrap intervals over resampled *shipments* (the line items of one LEMIS
control number are drawn together: they share a declaration and usually an outcome); all from
``wildtrace.metrics``.
"""

from __future__ import annotations

import math
from typing import Any

import duckdb
import numpy as np
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression

from wildtrace import metrics as m
from wildtrace.trade.provenance import rows, stamp

CATEGORICAL = ["species_code", "genus", "term", "unit", "origin", "exporter", "purpose", "source", "port"]
LEAKY = ["action", "disposition", "disposition_date", "cleaning_notes"]
#: values of declaration fields that are recorded at inspection as part of the outcome (origin
#: XX: "unknown", set when a seized or refused shipment's origin cannot be established); the
#: model without suspected leaks reads them as missing
OUTCOME_VALUES: dict[str, frozenset[str]] = {"origin": frozenset({"XX"})}
NO_VALUES: dict[str, frozenset[str]] = {}


def _features(r: dict[str, Any], fields: list[str],
              dropped: dict[str, frozenset[str]] = NO_VALUES) -> dict[str, Any]:
    f: dict[str, Any] = {k: str(r[k]) for k in fields if k in CATEGORICAL and r.get(k) is not None
                         and str(r[k]) not in dropped.get(k, ())}
    if "quantity" in fields:
        f["log_quantity"] = math.log1p(max(r["quantity"] or 0, 0))
    if "value" in fields:
        f["log_value"] = math.log1p(max(r["value"] or 0, 0))
        f["value_missing"] = float(r["value"] is None)
    if "month" in fields and r.get("month"):
        f["month"] = str(r["month"])
    return f


def metrics(y: np.ndarray, s: np.ndarray, *, groups: np.ndarray | None = None, boot: int = 1000,
            seed: int = 0) -> dict[str, Any]:
    """PR-AUC and precision at the top 1% / 5% (``wildtrace.metrics``) with 95% bootstrap
    intervals, whole ``groups`` (shipments) resampled when given, and lift."""
    base = float(y.mean())
    out: dict[str, Any] = {"n": int(len(y)), "positives": int(y.sum()), "base_rate": round(base, 4),
                           "shipments": int(len(np.unique(groups))) if groups is not None else None}
    names = ("pr_auc", "precision_at_1pct", "precision_at_5pct")

    def figures(idx: np.ndarray) -> dict[str, float]:
        r = m.ranking(y[idx], s[idx])  # NaN in a resample with no refused or seized shipment
        return {k: r[k] for k in names}

    point = figures(np.arange(len(y)))
    ci = m.bootstrap(figures, len(y), groups, reps=boot, seed=seed)
    for name in names:
        out[name] = {"value": round(point[name], 4), "ci95": [round(v, 4) for v in ci[name]]}
    for name in ("precision_at_1pct", "precision_at_5pct"):
        out[name.replace("precision", "lift")] = round(out[name]["value"] / base, 2) if base else None
    out["lift_pr_auc_over_random"] = round(out["pr_auc"]["value"] / base, 2) if base else None
    return out


def _paired(y: np.ndarray, kept: np.ndarray, dropped: np.ndarray, groups: np.ndarray, boot: int,
            seed: int = 0) -> dict[str, Any]:
    """PR-AUC keeping the outcome-recorded values minus PR-AUC reading them as missing, with a
    paired 95% interval (both models scored on the same resampled shipments)."""
    def diff(idx: np.ndarray) -> dict[str, float]:
        return {"pr_auc_difference": m.average_precision(y[idx], kept[idx]) - m.average_precision(y[idx], dropped[idx])}

    point = diff(np.arange(len(y)))["pr_auc_difference"]
    ci = m.bootstrap(diff, len(y), groups, reps=boot, seed=seed)["pr_auc_difference"]
    return {"what": "PR-AUC keeping outcome-recorded values minus reading them as missing (leak-free model)",
            "value": round(point, 4), "ci95": [round(v, 4) for v in ci]}


def _fit(train: list[dict[str, Any]], ytr: np.ndarray, fields: list[str], c: float,
         dropped: dict[str, frozenset[str]] = NO_VALUES) -> tuple[DictVectorizer, LogisticRegression]:
    vec = DictVectorizer()
    x = vec.fit_transform([_features(r, fields, dropped) for r in train])
    model = LogisticRegression(C=c, max_iter=2000, class_weight="balanced")
    model.fit(x, ytr)
    return vec, model


def _score(vec: DictVectorizer, model: LogisticRegression, data: list[dict[str, Any]], fields: list[str],
           dropped: dict[str, frozenset[str]] = NO_VALUES) -> np.ndarray:
    return np.asarray(model.predict_proba(vec.transform([_features(r, fields, dropped) for r in data]))[:, 1])


def outcome_model(con: duckdb.DuckDBPyConnection, *, val_year: int = 2018, boot: int = 1000) -> dict[str, Any]:
    """The models (all declaration fields; without suspected leaks, the leak-free figure; the
    same without dropping ``OUTCOME_VALUES``, for comparison) and the exporter-rate baseline on
    the test years, each with CIs over resampled shipments."""
    data = rows(con, """SELECT species_code, genus, term, unit, origin, exporter, purpose, source, port,
            quantity, value, month(shipment_date) AS month, year,
            coalesce(control_number, 'line ' || record_id) AS shipment,
            (action = 'R' OR disposition = 'S')::INTEGER AS y
        FROM records WHERE dataset = 'lemis' ORDER BY year, shipment_date, record_id""")
    if not data:
        return {"error": "no LEMIS records loaded"}
    train = [r for r in data if r["year"] < val_year]
    val = [r for r in data if r["year"] == val_year]
    test = [r for r in data if r["year"] > val_year]
    y = {k: np.array([r["y"] for r in d]) for k, d in (("train", train), ("val", val), ("test", test))}
    full = CATEGORICAL + ["quantity", "value", "month"]
    audit = []
    for f in full:
        vec, model = _fit(train, y["train"], [f], 1.0)
        ap = float(m.average_precision(y["val"], _score(vec, model, val, [f])))
        rates = rows(con, f"""SELECT {f if f != 'month' else 'month(shipment_date)'}::VARCHAR AS value, count(*) AS n,
                avg((action = 'R' OR disposition = 'S')::INTEGER) AS rate
            FROM records WHERE dataset = 'lemis' AND year < {val_year} GROUP BY 1 HAVING count(*) >= 20
            ORDER BY rate DESC LIMIT 3""") if f in CATEGORICAL + ["month"] else []
        suspicious = [r for r in rates if r["rate"] >= 0.4]
        reasons = []
        if ap >= 0.6:
            reasons.append(f"{f} alone reaches PR-AUC {ap:.2f} on {val_year} (base rate {y['val'].mean():.3f}): "
                           "a field that nearly decides the outcome by itself may be filled in at inspection")
        reasons += [f"{f}={r['value']} has a {r['rate']:.0%} refused/seized rate over {r['n']} training shipments"
                    for r in suspicious]
        audit.append({"field": f, "val_pr_auc_alone": round(ap, 4), "top_values": rates,
                      "suspected_leak": ap >= 0.6 or any(r["rate"] >= 0.6 for r in suspicious),
                      "reasons": reasons})
    leaky = [a["field"] for a in audit if a["suspected_leak"]]
    results: dict[str, Any] = {"dropped_as_outcome": LEAKY, "leakage_audit": audit,
                               "split": {"train_years": f"< {val_year}", "val_year": val_year,
                                         "test_years": f"> {val_year}",
                                         "sizes": {k: int(len(v)) for k, v in y.items()}}}
    leak_free = [f for f in full if f not in leaky]
    groups = {k: np.array([r["shipment"] for r in d]) for k, d in (("test", test),)}
    scores: dict[str, np.ndarray] = {}
    for name, fields, dropped in (("all_declaration_fields", full, NO_VALUES),
                                  ("without_suspected_leaks", leak_free, OUTCOME_VALUES),
                                  ("without_suspected_leaks_keeping_outcome_values", leak_free, NO_VALUES)):
        val_ap = {c: float(m.average_precision(y["val"], _score(*_fit(train, y["train"], fields, c, dropped), val,
                                                                fields, dropped)))
                  for c in (0.1, 1.0, 10.0)}
        best = max(val_ap, key=lambda c: val_ap[c])
        vec, model = _fit(train + val, np.concatenate([y["train"], y["val"]]), fields, best, dropped)
        scores[name] = _score(vec, model, test, fields, dropped)
        results[name] = {"fields": fields, "values_read_as_missing": {k: sorted(v) for k, v in dropped.items()},
                         "C": best, "val_pr_auc_by_C": val_ap,
                         "test": metrics(y["test"], scores[name], groups=groups["test"], boot=boot)}
    results["outcome_values_effect"] = _paired(y["test"], scores["without_suspected_leaks_keeping_outcome_values"],
                                               scores["without_suspected_leaks"], groups["test"], boot)
    results["outcome_values"] = [
        {"field": f, "value": v, "train": {"n": sum(str(r[f]) == v for r in train),
                                           "refused_or_seized": sum(r["y"] for r in train if str(r[f]) == v)},
         "test": {"refused_or_seized": sum(r["y"] for r in test if str(r[f]) == v),
                  "cleared": sum(1 - r["y"] for r in test if str(r[f]) == v),
                  "of_refused_or_seized": int(y["test"].sum())}}
        for f, values in OUTCOME_VALUES.items() for v in sorted(values)]
    # baseline: refusal rate of the exporting country in the training years
    counts: dict[Any, list[int]] = {}
    for r in train + val:
        counts.setdefault(r["exporter"], [0, 0])
        counts[r["exporter"]][0] += r["y"]
        counts[r["exporter"]][1] += 1
    prior = float(np.concatenate([y["train"], y["val"]]).mean())
    s = np.array([(counts[r["exporter"]][0] + prior) / (counts[r["exporter"]][1] + 1) if r["exporter"] in counts
                  else prior for r in test])
    results["baseline_exporter_rate"] = {"test": metrics(y["test"], s, groups=groups["test"], boot=boot)}
    results["bootstrap"] = {"reps": boot, "resampled": "shipments (LEMIS control number; a line item without one "
                                                       "is its own shipment)",
                            "test_shipments": int(len(np.unique(groups["test"])))}
    results["provenance"] = stamp(con, "outcome", {"val_year": val_year, "boot": boot, "model": "logistic regression"})
    return results
