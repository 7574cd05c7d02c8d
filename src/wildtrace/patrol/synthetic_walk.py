"""Simulated ranger patrols of a SYNTHETIC park: random walks that go out from a post and return.

Each patrol starts and ends at one ranger post. It walks with a persistent heading (foot:
a waypoint every 5 minutes, 200-400 m apart; vehicle: every 2 minutes, 400-900 m), turns back
at the park boundary, and is pulled home harder as its remaining time runs short, so effort
decays with distance from the posts and far corners are barely or never patrolled. Some foot
patrols camp overnight (two days; some start on a month's last day, so they cross a month).

All patrols step together: the one Python loop is over step number (about 130), each step a
numpy operation on every patrol at once, never a loop over waypoints.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Polygon

#: Hours the park's local time (East Africa Time) is ahead of UTC.
UTC_OFFSET_H = 3
_HOUR_NS = 3_600_000_000_000
_SEC_NS = 1_000_000_000


@dataclass
class Walks:
    """Patrols (one row each) and their waypoints (patrol-major, in time order), park CRS."""

    day: np.ndarray        # index into the simulated days
    post: np.ndarray       # index of the post it starts and ends at
    vehicle: np.ndarray    # bool: a vehicle patrol (else on foot)
    two_day: np.ndarray    # bool: camps overnight
    start: np.ndarray      # int64 ns since epoch, UTC
    end: np.ndarray        # int64 ns since epoch, UTC
    pid: np.ndarray        # per waypoint: patrol index
    x: np.ndarray          # per waypoint: park CRS metres
    y: np.ndarray
    t: np.ndarray          # per waypoint: int64 ns since epoch, UTC


def _plan(rng: np.random.Generator, days: pd.DatetimeIndex, patrols_per_day: float,
          n_posts: int) -> dict[str, np.ndarray]:
    """Who goes out when: day, post, transport, length and start time of every patrol."""
    n_days = len(days)
    day = np.repeat(np.arange(n_days), rng.poisson(patrols_per_day, n_days))
    month_end = np.asarray(days.is_month_end) & (np.arange(n_days) < n_days - 1)
    forced = np.flatnonzero(month_end & (rng.random(n_days) < 0.6))
    day = np.concatenate([day, forced])
    is_forced = np.concatenate([np.zeros(len(day) - len(forced), bool), np.ones(len(forced), bool)])
    order = np.argsort(day, kind="stable")
    day, is_forced = day[order], is_forced[order]
    n = len(day)
    weights = rng.dirichlet(np.full(n_posts, 3.0))
    post = rng.choice(n_posts, n, p=weights)
    vehicle = ~is_forced & (rng.random(n) < 0.2)
    two_day = is_forced | (~vehicle & (rng.random(n) < 0.07))
    steps1 = np.where(vehicle, rng.integers(60, 121, n), rng.integers(48, 97, n))
    steps1 = np.where(two_day, rng.integers(36, 61, n), steps1)
    steps2 = np.where(two_day, rng.integers(36, 73, n), 0)
    local_h = np.where(vehicle, rng.uniform(8, 14, n), rng.uniform(6.5, 9, n))
    local_h = np.where(two_day, rng.uniform(11, 15, n), local_h)
    day_ns = days.asi8[day]
    start = day_ns + ((local_h - UTC_OFFSET_H) * _HOUR_NS).astype(np.int64)
    interval = np.where(vehicle, 120, 300).astype(np.int64) * _SEC_NS
    resume = day_ns + 24 * _HOUR_NS + ((rng.uniform(6.5, 7.5, n) - UTC_OFFSET_H)
                                       * _HOUR_NS).astype(np.int64)
    gap = np.where(two_day, resume - (start + (steps1 + 1) * interval), 0)
    return {"day": day, "post": post, "vehicle": vehicle, "two_day": two_day,
            "steps1": steps1, "nsteps": steps1 + steps2, "start": start,
            "interval": interval, "gap": np.maximum(gap, 0)}


def _walk(rng: np.random.Generator, park: Polygon, home_x: np.ndarray, home_y: np.ndarray,
          nsteps: np.ndarray, vehicle: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions (max_steps + 1, n_patrols): out from home and back, inside the park."""
    n, top = len(nsteps), int(nsteps.max(initial=0))
    shapely.prepare(park)
    px, py = home_x.astype(float).copy(), home_y.astype(float).copy()
    heading = rng.uniform(0, 2 * math.pi, n)
    turn = np.where(vehicle, 0.2, 0.4)
    mean, sd = np.where(vehicle, 650.0, 300.0), np.where(vehicle, 110.0, 45.0)
    lo, hi = np.where(vehicle, 400.0, 200.0), np.where(vehicle, 900.0, 400.0)
    xs, ys = np.empty((top + 1, n)), np.empty((top + 1, n))
    xs[0], ys[0] = px, py
    for s in range(1, top + 1):
        active = s <= nsteps
        remaining = np.maximum(nsteps - s + 1, 1)
        step = np.clip(rng.normal(mean, sd), lo, hi)
        heading = heading + rng.normal(0, turn)
        dx, dy = home_x - px, home_y - py
        need = np.hypot(dx, dy) / (step * remaining)
        pull = np.clip((need - 0.35) / 0.45, 0, 1)
        pull = np.maximum(pull, np.where(s > nsteps / 2, 0.12, 0.0))
        diff = (np.arctan2(dy, dx) - heading + math.pi) % (2 * math.pi) - math.pi
        heading = heading + pull * diff
        nx, ny = px + step * np.cos(heading), py + step * np.sin(heading)
        out = ~shapely.contains_xy(park, nx, ny)
        if out.any():  # turn back from the boundary; if still outside, wait a step
            heading[out] += math.pi + rng.normal(0, 0.6, int(out.sum()))
            nx[out] = px[out] + step[out] * np.cos(heading[out])
            ny[out] = py[out] + step[out] * np.sin(heading[out])
            still = out & ~shapely.contains_xy(park, nx, ny)
            nx[still], ny[still] = px[still], py[still]
        last = remaining == 1
        nx[last], ny[last] = home_x[last], home_y[last]
        px, py = np.where(active, nx, px), np.where(active, ny, py)
        xs[s], ys[s] = px, py
    return xs, ys


def simulate(rng: np.random.Generator, park: Polygon, posts: np.ndarray,
             days: pd.DatetimeIndex, patrols_per_day: float) -> Walks:
    """Every patrol over ``days`` (local dates, as UTC midnights) and its waypoints."""
    plan = _plan(rng, days, patrols_per_day, len(posts))
    post, nsteps = plan["post"], plan["nsteps"]
    xs, ys = _walk(rng, park, posts[post, 0], posts[post, 1], nsteps, plan["vehicle"])
    mask = np.arange(xs.shape[0])[:, None] <= nsteps[None, :]
    x, y = xs.T[mask.T], ys.T[mask.T]
    counts = nsteps + 1
    pid = np.repeat(np.arange(len(nsteps)), counts)
    j = np.arange(len(pid)) - np.repeat(np.cumsum(counts) - counts, counts)
    jitter = np.where((j > 0) & (j < nsteps[pid]),
                      rng.integers(-20, 21, len(pid)) * _SEC_NS, 0)
    t = (plan["start"][pid] + j * plan["interval"][pid]
         + np.where(j > plan["steps1"][pid], plan["gap"][pid], 0) + jitter)
    end = t[np.cumsum(counts) - 1] if len(t) else np.empty(0, np.int64)
    return Walks(plan["day"], post, plan["vehicle"], plan["two_day"], plan["start"], end,
                 pid, x, y, t.astype(np.int64))
