"""The cell-month panel the model learns from: one row per cell and month, what patrols did there
and what they found.

``build_panel(grid, effort, observations, features)`` gives every cell of the grid for every month
from the first to the last month of the records (no gaps: a month without patrols is a row with
zero effort), with columns ``cell_id, row, col, period, year, month, effort_km, coverage,
detections, label`` and the ``f_*`` features: the static ones passed in and the lagged ones made
here (``LAG_FEATURES``).

- **detections**: the illegal-activity observations located in the cell that month. Which
  categories are illegal activity comes from ``data/patrol/illegal_categories.yaml`` (its rules,
  each with its source and why; ``load_rules``). An illegal-activity observation without
  coordinates or time, or outside every cell, is a ``Reject`` in ``panel.attrs["rejects"]``;
  ``panel.attrs["notes"]`` counts the rest (e.g. how many observations were not illegal).
- **label**: ``detections > 0``. A zero in a barely patrolled cell is weak evidence; the model
  weighs it by ``effort_km`` (iWare-E), the panel only records it.
- **Lagged features** use only months strictly before the row's month (never the row's own
  detections): ``f_past_detections_12m``, ``f_past_effort_12m``, ``f_past_coverage_12m`` (mean)
  and ``f_past_detections_nbr_12m`` (the eight neighbouring cells); over the whole history before
  the month, ``f_past_found_rate_all`` (months with a find / (patrolled months + 1)),
  ``f_past_patrolled_months_all`` and ``f_past_found_rate_nbr_all`` (the same over the eight
  neighbours). ``add_lag_features(...,
  cutoff='YYYY-MM')`` freezes them at a cutoff for a strict year-ahead test; ``future_rows`` makes
  the rows of a month after the records.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import yaml

from wildtrace import manifest
from wildtrace.errors import ConfigError
from wildtrace.patrol import grid as gridmod
from wildtrace.rejects import Reject

RULES_FILE = manifest.path("patrol_categories")
WINDOW = 12
LAG_FEATURES = ("f_past_detections_12m", "f_past_effort_12m", "f_past_coverage_12m",
                "f_past_detections_nbr_12m", "f_past_found_rate_all", "f_past_patrolled_months_all",
                "f_past_found_rate_nbr_all")


@dataclass(frozen=True)
class Rule:
    pattern: re.Pattern[str]
    attributes: re.Pattern[str] | None
    illegal: bool
    source: str
    why: str


@dataclass(frozen=True)
class IllegalRules:
    """The rules that say which observation categories are illegal activity, and their version."""

    version: str
    rules: tuple[Rule, ...]

    def classify(self, category: pd.Series, attributes: pd.Series | None = None) -> np.ndarray:
        """True where an observation is illegal activity (first matching rule decides)."""
        path = normalise_category(category)
        attrs = (attributes.fillna("").astype(str).str.lower() if attributes is not None
                 else pd.Series("", index=category.index))
        decided = np.zeros(len(path), dtype=bool)
        illegal = np.zeros(len(path), dtype=bool)
        uniq, inverse = np.unique(path.to_numpy(dtype=str), return_inverse=True)
        texts = attrs.to_numpy(dtype=str)
        for rule in self.rules:
            on_path = np.array([rule.pattern.search(u) is not None for u in uniq], dtype=bool)
            hit = on_path[inverse] if len(uniq) else np.zeros(0, dtype=bool)
            if rule.attributes is not None:
                idx = np.flatnonzero(hit & ~decided)
                hit = np.zeros(len(path), dtype=bool)
                hit[idx] = [rule.attributes.search(texts[i]) is not None for i in idx]
            new = hit & ~decided
            illegal[new] = rule.illegal
            decided |= new
        return illegal


def normalise_category(category: pd.Series) -> pd.Series:
    """'Human Activity > Illegal activity / Snare' -> 'humanactivity/illegalactivity/snare'."""
    text = category.fillna("").astype(str).str.lower()
    keys = text.str.split(r"\s*[/>|]\s*", regex=True)
    return keys.map(lambda ks: "/".join(k for k in (re.sub(r"[\W_]+", "", x) for x in ks) if k))


def load_rules(path: Path | str | None = None) -> IllegalRules:
    """The illegal-activity rules from ``illegal_categories.yaml`` (or another file of that shape)."""
    p = Path(path) if path is not None else RULES_FILE
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
        rules = tuple(Rule(pattern=re.compile(str(r["pattern"])),
                           attributes=re.compile(str(r["attributes"])) if r.get("attributes") else None,
                           illegal=bool(r["illegal"]), source=str(r["source"]), why=str(r["why"]))
                      for r in doc["rules"])
        version = str(doc["version"])
    except (OSError, yaml.YAMLError, KeyError, TypeError, re.error) as exc:
        raise ConfigError(f"illegal-activity rules {p.name}: cannot be used ({exc})") from exc
    return IllegalRules(version=version, rules=rules)


def _rules(illegal: IllegalRules | Path | str | None) -> IllegalRules:
    return illegal if isinstance(illegal, IllegalRules) else load_rules(illegal)


def _codes(periods: pd.Series | np.ndarray | Sequence[str]) -> np.ndarray:
    """'YYYY-MM' strings to months since 1970-01."""
    return np.asarray(pd.Series(periods).astype(str).to_numpy(), dtype="datetime64[M]").astype("int64")


def _names(codes: np.ndarray) -> np.ndarray:
    return np.asarray(codes, dtype="int64").astype("datetime64[M]").astype(str)


def locate_observations(grid: gpd.GeoDataFrame, observations: pd.DataFrame,
                        illegal: IllegalRules | Path | str | None = None, *,
                        utc_offset_minutes: int | None = None
                        ) -> tuple[pd.DataFrame, list[Reject], list[str]]:
    """Illegal-activity observations with their cell and month, the ones that could not be
    placed (as rejects), and notes. Returns (DataFrame[obs_id, cell_id, code], rejects, notes).

    The month is the site's wall-clock month (UTC time + ``utc_offset_minutes``) when the offset
    is known, so a find in the first hours of a local month is not put in the month before."""
    rules = _rules(illegal)
    obs = observations
    notes: list[str] = []
    attrs = obs["attributes"] if "attributes" in obs.columns else None
    bad = rules.classify(obs["category"], attrs)
    n_other = int((~bad).sum())
    if n_other:
        notes.append(f"{n_other} observations are not illegal activity by illegal_categories.yaml "
                     f"(version {rules.version}) and are not counted as detections")
    obs = obs[bad]
    lon = obs["lon"].to_numpy(dtype=float, na_value=np.nan)
    lat = obs["lat"].to_numpy(dtype=float, na_value=np.nan)
    has_xy = np.isfinite(lon) & np.isfinite(lat)
    has_time = obs["time"].notna().to_numpy()
    x, y = gridmod.from_lonlat(np.where(has_xy, lon, 0.0), np.where(has_xy, lat, 0.0))
    cell = np.where(has_xy, gridmod.locate(grid, x, y), -1)
    reasons = np.where(~has_xy, "illegal-activity observation without coordinates",
                       np.where(~has_time, "illegal-activity observation without a time",
                                np.where(cell < 0, "illegal-activity observation outside the park's grid", "")))
    rejects = [_reject(row, reason) for row, reason in zip(obs.itertuples(index=False), reasons, strict=True)
               if reason]
    ok = reasons == ""
    times = obs["time"][ok]
    code = times.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")
    code = code + np.timedelta64(int(utc_offset_minutes or 0), "m")
    located = pd.DataFrame({"obs_id": obs["obs_id"].to_numpy()[ok], "cell_id": cell[ok],
                            "code": code.astype("datetime64[M]").astype("int64")})
    if rejects:
        notes.append(f"{len(rejects)} illegal-activity observations could not be placed in a cell "
                     "and month (see rejects)")
    return located, rejects, notes


def _reject(row: Any, reason: str) -> Reject:
    preview = json.dumps({"category": str(row.category), "lon": _num(row.lon), "lat": _num(row.lat),
                          "time": None if pd.isna(row.time) else str(row.time)})[:200]
    line = int(row.line) if hasattr(row, "line") and not pd.isna(row.line) else 0
    return Reject(line=line, reason=f"{reason} ({getattr(row, 'source', '') or 'records'})",
                  record_id=None if pd.isna(row.obs_id) else str(row.obs_id), preview=preview)


def _num(v: Any) -> float | None:
    return None if v is None or pd.isna(v) else float(v)


def build_panel(grid: gpd.GeoDataFrame, effort: pd.DataFrame, observations: pd.DataFrame,
                features: pd.DataFrame | None = None, *,
                illegal: IllegalRules | Path | str | None = None,
                periods: Sequence[str] | None = None, window: int = WINDOW,
                utc_offset_minutes: int | None = None) -> pd.DataFrame:
    """Every cell × every month of the records, with effort, detections, label and features.

    ``periods`` ('YYYY-MM', first and last) fixes the months; by default they run from the first
    to the last month that has effort or a located detection. ``utc_offset_minutes`` (the
    site's, ``PatrolData.utc_offset_minutes``; by default the one ``effort_per_cell`` used, from
    ``effort.attrs``) puts observations in local wall-clock months, as effort is.
    """
    rules = _rules(illegal)
    if utc_offset_minutes is None:
        utc_offset_minutes = effort.attrs.get("utc_offset_minutes")
    located, rejects, notes = locate_observations(grid, observations, rules,
                                                  utc_offset_minutes=utc_offset_minutes)
    eff_code = _codes(effort["period"]) if len(effort) else np.zeros(0, dtype="int64")
    if periods is not None:
        lo, hi = int(_codes([min(periods)])[0]), int(_codes([max(periods)])[0])
    else:
        seen = np.concatenate([eff_code, located["code"].to_numpy()])
        if len(seen) == 0:
            raise ConfigError("no patrol effort and no illegal-activity observation: nothing to build a panel from")
        lo, hi = int(seen.min()), int(seen.max())
    outside = (located["code"] < lo) | (located["code"] > hi)
    if outside.any():
        for oid in located.loc[outside, "obs_id"]:
            rejects.append(Reject(line=0, reason="illegal-activity observation outside the panel's months",
                                  record_id=str(oid)))
        located = located[~outside]
    cells = grid[["cell_id", "row", "col"]].reset_index(drop=True)
    months = np.arange(lo, hi + 1, dtype="int64")
    pos = pd.Series(np.arange(len(cells)), index=cells["cell_id"].to_numpy())
    shape = (len(cells), len(months))
    eff = np.zeros(shape)
    cov = np.zeros(shape)
    det = np.zeros(shape, dtype="int64")
    keep = (eff_code >= lo) & (eff_code <= hi)
    if len(effort):
        ci = pos.reindex(effort["cell_id"].to_numpy()).to_numpy()
        keep &= ~np.isnan(ci)
        ci_k, mi_k = ci[keep].astype("int64"), eff_code[keep] - lo
        np.add.at(eff, (ci_k, mi_k), effort["effort_km"].to_numpy(dtype=float)[keep])
        np.maximum.at(cov, (ci_k, mi_k), effort["coverage"].to_numpy(dtype=float)[keep])
    np.add.at(det, (pos.loc[located["cell_id"].to_numpy()].to_numpy(), located["code"].to_numpy() - lo), 1)
    panel = pd.DataFrame({
        "cell_id": np.repeat(cells["cell_id"].to_numpy(), len(months)),
        "row": np.repeat(cells["row"].to_numpy(), len(months)),
        "col": np.repeat(cells["col"].to_numpy(), len(months)),
        "period": pd.array(np.tile(_names(months), len(cells)), dtype="string"),
        "effort_km": eff.ravel(), "coverage": cov.ravel(), "detections": det.ravel(),
    })
    dates = np.tile(months, len(cells)).astype("datetime64[M]")
    panel.insert(4, "year", dates.astype("datetime64[Y]").astype("int64") + 1970)
    panel.insert(5, "month", (dates.astype("int64") % 12 + 1).astype("int64"))
    panel["label"] = (panel["detections"] > 0).astype("int64")
    if features is not None and len(features):
        static = features[["cell_id"] + [c for c in features.columns if c.startswith("f_")]]
        panel = panel.merge(static, on="cell_id", how="left")
    panel = add_lag_features(panel, window=window)
    panel = panel.sort_values(["period", "cell_id"], kind="stable").reset_index(drop=True)
    panel.attrs.update({"rejects": rejects, "notes": notes, "rules_version": rules.version})
    return panel


def _cube(panel: pd.DataFrame, column: str, cells: np.ndarray, lo: int, n: int) -> np.ndarray:
    out = np.zeros((len(cells), n))
    ci = np.searchsorted(cells, panel["cell_id"].to_numpy())
    np.add.at(out, (ci, _codes(panel["period"]) - lo), panel[column].to_numpy(dtype=float))
    return out


def _past(cube: np.ndarray, at: np.ndarray, window: int) -> np.ndarray:
    """Sum over months [at - window, at) of each cell (``at``: month index per column of output)."""
    c = np.concatenate([np.zeros((cube.shape[0], 1)), np.cumsum(cube, axis=1)], axis=1)
    end = np.clip(at, 0, cube.shape[1])
    start = np.clip(at - window, 0, cube.shape[1])
    return np.asarray(c[:, end] - c[:, start])


def _neighbours(values: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Sum of each cell's eight neighbours (cells outside the grid count as zero)."""
    nr, nc = int(rows.max()) + 3, int(cols.max()) + 3
    lattice = np.zeros((nr, nc, values.shape[1]))
    lattice[rows + 1, cols + 1] = values
    total = np.zeros_like(values)
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            if dr or dc:
                total += lattice[rows + 1 + dr, cols + 1 + dc]
    return total


def add_lag_features(panel: pd.DataFrame, *, window: int = WINDOW, cutoff: str | None = None,
                     at: Sequence[str] | None = None) -> pd.DataFrame:
    """The lagged ``f_past_*`` columns, from months strictly before each row's month.

    With ``cutoff`` ('YYYY-MM') every row on or after it sees only the ``window`` months before
    the cutoff (what was known when a year-ahead forecast was made). ``at`` computes them for
    other months (``future_rows``) and returns one row per cell and month asked.
    """
    cells = np.unique(panel["cell_id"].to_numpy())
    codes = _codes(panel["period"])
    lo, hi = int(codes.min()), int(codes.max())
    n = hi - lo + 1
    first = panel.drop_duplicates("cell_id").set_index("cell_id").loc[cells]
    rows, cols = first["row"].to_numpy(), first["col"].to_numpy()
    det, eff = _cube(panel, "detections", cells, lo, n), _cube(panel, "effort_km", cells, lo, n)
    cov = _cube(panel, "coverage", cells, lo, n)
    targets = np.arange(lo, hi + 1) if at is None else _codes(list(at))
    anchor = targets - lo
    if cutoff is not None:
        anchor = np.minimum(anchor, int(_codes([cutoff])[0]) - lo)
    lags = {
        "f_past_detections_12m": _past(det, anchor, window),
        "f_past_effort_12m": _past(eff, anchor, window),
        "f_past_coverage_12m": _past(cov, anchor, window) / window,
        "f_past_detections_nbr_12m": _neighbours(_past(det, anchor, window), rows, cols),
    }
    # the whole history before the month: how often a patrol there found something (what the
    # past-activity baseline knows, so the model can know it too), and around it
    found = _past((det > 0).astype(float), anchor, n)
    patrolled = _past((eff > 0).astype(float), anchor, n)
    history = {
        "f_past_found_rate_all": found / (patrolled + 1.0),
        "f_past_patrolled_months_all": patrolled,
        "f_past_found_rate_nbr_all": _neighbours(found, rows, cols)
        / (_neighbours(patrolled, rows, cols) + 1.0),
    }
    if window != WINDOW:
        lags = {k.replace("_12m", f"_{window}m"): v for k, v in lags.items()}
    lags |= history
    table = pd.DataFrame({"cell_id": np.repeat(cells, len(targets)),
                          "period": pd.array(np.tile(_names(targets), len(cells)), dtype="string")})
    for name, values in lags.items():
        table[name] = values.ravel()
    if at is not None:
        return table
    base = panel.drop(columns=[c for c in lags if c in panel.columns])
    return base.merge(table, on=["cell_id", "period"], how="left")


def future_rows(panel: pd.DataFrame, month: str, *, window: int = WINDOW) -> pd.DataFrame:
    """The rows of a month after the records, for prediction: every cell, its static features, its
    lagged features from the panel's months before ``month``. Effort and coverage there are not
    known yet (NaN); there are no detections or labels."""
    lags = add_lag_features(panel, window=window, at=[month])
    static = [c for c in panel.columns if c.startswith("f_") and c not in lags.columns]
    first = panel.drop_duplicates("cell_id")[["cell_id", "row", "col", *static]]
    out = first.merge(lags, on="cell_id", how="left")
    code = int(_codes([month])[0])
    out.insert(4, "year", code // 12 + 1970)
    out.insert(5, "month", code % 12 + 1)
    out.insert(6, "effort_km", np.nan)
    out.insert(7, "coverage", np.nan)
    cols = ["cell_id", "row", "col", "period", "year", "month", "effort_km", "coverage"]
    return out[cols + [c for c in out.columns if c not in cols]].reset_index(drop=True)
