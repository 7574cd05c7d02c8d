"""A patrol plan: routes from each ranger post and back that visit the highest-risk cells.

The problem is prize-collecting routing (the orienteering problem with several vehicles): each
patrol team leaves its post, visits some cells and comes back within a distance budget; the plan
maximises the summed risk of the cells visited (each cell counts once, whoever visits it). It is
solved with OR-Tools routing: one optional visit per candidate cell (a disjunction whose penalty is
the cell's risk, scaled so that risk always outweighs distance), a distance dimension whose
capacity is the budget, and distance as the arc cost (so among plans of equal risk the shorter
wins). Search is deterministic: fixed parameters and a solution limit, not a wall-clock limit
(the wall-clock limit is only a safety cap; the plan says which limit stopped the search).

Distances are straight lines on the ground between the posts and the cells' centres, measured in
an azimuthal equidistant projection centred on the park (true to well under 0.1 % across a
2,000 km² park); terrain, rivers and roads are not modelled. Candidates are at most ``max_cells``
cells that a team can reach and come back from within the budget: the highest-risk ones in
reach of each post (an equal share per post), then the highest-risk in reach of any.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from wildtrace import clock
from wildtrace.errors import Invalid
from wildtrace.patrol.records import WGS84, WORK_CRS
from wildtrace.patrol.riskmap import one_value_per_cell

DISTANCE_MODEL = ("straight line on the ground between post and cell centres "
                  "(azimuthal equidistant projection centred on the park)")
#: Penalty units per unit of risk per metre of total budget: risk always outweighs distance.
_RISK_WEIGHT = 1_000_000
_METAHEURISTICS = {"greedy_descent": "GREEDY_DESCENT", "guided_local_search": "GUIDED_LOCAL_SEARCH"}


@dataclass
class Stop:
    """One target cell of a route: where to go and why."""

    cell_id: int
    lon: float
    lat: float
    risk: float


@dataclass
class Route:
    """One team's patrol: from its post through its cells, in order, and back to the post."""

    post_id: str
    team: int
    post_lon: float
    post_lat: float
    stops: list[Stop]
    distance_km: float
    risk_covered: float
    duration_h: float | None = None

    @property
    def cell_ids(self) -> list[int]:
        return [s.cell_id for s in self.stops]

    @property
    def waypoints(self) -> list[tuple[float, float]]:
        """(lon, lat): the post, each cell centre in visiting order, the post again."""
        post = (self.post_lon, self.post_lat)
        return [post, *((s.lon, s.lat) for s in self.stops), post]


@dataclass
class Plan:
    """The routes, the budget they keep to, how much of the month's risk they cover, and why."""

    routes: list[Route]
    budget_km: float
    candidates: int
    total_risk: float
    risk_covered: float
    share_covered: float
    status: str
    reason: str = ""
    method: str = "ortools"
    distance_model: str = DISTANCE_MODEL
    search: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    created: str = ""

    @property
    def empty(self) -> bool:
        return not any(r.stops for r in self.routes)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (each route with its cell ids and lon/lat waypoints)."""
        d = asdict(self)
        for rd, route in zip(d["routes"], self.routes, strict=True):
            rd["cell_ids"] = route.cell_ids
            rd["waypoints"] = [list(w) for w in route.waypoints]
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Plan:
        """The plan ``to_dict`` wrote (the one reader of plan JSON)."""
        fields = dict(d)
        routes = []
        for rd in fields.pop("routes", []):
            rd = {k: v for k, v in rd.items() if k not in ("cell_ids", "waypoints")}
            rd["stops"] = [Stop(**s) for s in rd.get("stops", [])]
            routes.append(Route(**rd))
        return cls(routes=routes, **fields)

    def to_json(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=1), encoding="utf-8")
        return path

    def to_geojson(self, path: str | Path) -> Path:
        """RFC 7946 FeatureCollection: one LineString per route and one Point per target cell."""
        features: list[dict[str, Any]] = []
        for i, route in enumerate(self.routes, 1):
            if not route.stops:
                continue
            features.append({"type": "Feature", "geometry": {
                "type": "LineString",
                "coordinates": [[round(x, 7), round(y, 7)] for x, y in route.waypoints]},
                "properties": {"kind": "route", "route": i, "post_id": route.post_id,
                               "team": route.team, "distance_km": round(route.distance_km, 3),
                               "risk_covered": round(route.risk_covered, 6),
                               "duration_h": route.duration_h, "cell_ids": route.cell_ids}})
            for order, stop in enumerate(route.stops, 1):
                features.append({"type": "Feature", "geometry": {
                    "type": "Point", "coordinates": [round(stop.lon, 7), round(stop.lat, 7)]},
                    "properties": {"kind": "target", "route": i, "post_id": route.post_id,
                                   "order": order, "cell_id": stop.cell_id,
                                   "risk": round(stop.risk, 6)}})
        doc = {"type": "FeatureCollection", "features": features,
               "properties": {k: v for k, v in self.to_dict().items() if k != "routes"}}
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc, separators=(",", ":")), encoding="utf-8")
        return path


def post_ids(posts: gpd.GeoDataFrame) -> list[str]:
    """Each post's id: the ``post_id``, ``id`` or ``name`` column, else the row index."""
    for col in ("post_id", "id", "name"):
        if col in posts.columns:
            return [str(v) for v in posts[col]]
    return [str(v) for v in posts.index]


def _local_xy(lon: np.ndarray, lat: np.ndarray, centre: tuple[float, float]) -> np.ndarray:
    aeqd = CRS.from_proj4(f"+proj=aeqd +lat_0={centre[1]} +lon_0={centre[0]} +datum=WGS84 +units=m")
    x, y = Transformer.from_crs(WGS84, aeqd, always_xy=True).transform(lon, lat)
    return np.column_stack([x, y])


def _candidates(reach: np.ndarray, max_cells: int) -> np.ndarray:
    """Rows (cells sorted by falling risk) to route: an equal share of ``max_cells`` for each
    post (its highest-risk cells in reach), then the highest-risk cells in reach of any post, so
    a post far from the hot spots still gets work. Sorted, hence still by falling risk."""
    share = max(1, max_cells // max(1, reach.shape[1]))
    picked = np.zeros(reach.shape[0], dtype=bool)
    for p in range(reach.shape[1]):
        picked[np.flatnonzero(reach[:, p])[:share]] = True
    rest = np.flatnonzero(reach.any(axis=1) & ~picked)
    picked[rest[: max(0, max_cells - int(picked.sum()))]] = True
    return np.flatnonzero(picked)[:max_cells]


def _targets(grid: gpd.GeoDataFrame) -> np.ndarray:
    """A point inside each cell to walk to: its centre, or for a cell only partly in the park
    (``inside`` < 1, and the park outline kept in ``grid.attrs["boundary"]``) a point of the part
    inside the park."""
    cells = np.asarray(grid.geometry.values)
    park = grid.attrs.get("boundary")
    if isinstance(park, shapely.Geometry) and "inside" in grid.columns:
        edge = grid["inside"].to_numpy(dtype="float64") < 1 - 1e-9
        if edge.any():
            cells = cells.copy()
            clipped = shapely.intersection(cells[edge], park)
            cells[edge] = np.where(shapely.is_empty(clipped), cells[edge], clipped)
    return np.asarray(shapely.point_on_surface(cells))


def make_plan(grid: gpd.GeoDataFrame, risk_df: pd.DataFrame, posts: gpd.GeoDataFrame, *,
              budget_km: float, teams: int = 1, max_cells: int = 200,
              speed_kmh: float | None = 3.0, method: str = "ortools",
              metaheuristic: str = "greedy_descent", solution_limit: int = 100,
              time_limit_s: float = 60.0,
              meta: Mapping[str, Any] | None = None) -> Plan:
    """Routes from every post (``teams`` per post) and back, each within ``budget_km``.

    Maximises the summed risk of the cells visited among ``max_cells`` candidates (risk > 0,
    reachable there and back within the budget; see the module's docstring). ``speed_kmh`` turns
    distance into expected hours (None: not reported). ``method``: ``"ortools"`` (default) or
    ``"greedy"`` (best risk per added km insertion, for comparison). OR-Tools search: parallel
    cheapest insertion, then ``metaheuristic`` ``"greedy_descent"`` (local search to a local
    optimum: deterministic and well under a second for 200 candidates) or
    ``"guided_local_search"`` (keeps improving until ``solution_limit`` solutions; slower, about
    20 solutions a second at 200 candidates). ``time_limit_s`` is a safety cap only; the plan's
    ``search`` says which limit stopped the search. Never raises for a budget
    too small or a search that finds nothing: the plan is empty and ``reason`` says why.
    """
    if budget_km <= 0 or not np.isfinite(budget_km):
        raise Invalid(f"the distance budget must be a positive number of km, not {budget_km}")
    if teams < 1 or max_cells < 1:
        raise Invalid("teams and max_cells must be at least 1")
    if metaheuristic not in _METAHEURISTICS:
        raise Invalid(f"unknown metaheuristic {metaheuristic!r} ({', '.join(_METAHEURISTICS)})")
    if method not in ("ortools", "greedy"):
        raise Invalid(f"unknown plan method {method!r} (ortools or greedy)")
    one_value_per_cell(risk_df)
    notes: list[str] = []
    ids = post_ids(posts)
    if posts.crs is None:
        notes.append("the ranger posts had no CRS; taken as WGS84 lon/lat")
        posts = posts.set_crs(WGS84)
    post_geo = shapely.get_coordinates(posts.to_crs(WGS84).geometry.values)
    work = grid if grid.crs is not None else grid.set_crs(WORK_CRS)
    risk = work[["cell_id"]].merge(risk_df[["cell_id", "risk"]], on="cell_id", how="left")
    total_risk = float(risk["risk"].clip(lower=0).sum())
    centres = gpd.GeoSeries(_targets(work), crs=work.crs).to_crs(WGS84)
    cell_geo = shapely.get_coordinates(centres.values)
    lon_c, lat_c = cell_geo.mean(axis=0) if len(cell_geo) else post_geo.mean(axis=0)
    centre = (float(lon_c), float(lat_c))

    base: dict[str, Any] = dict(budget_km=float(budget_km), total_risk=total_risk,
                                method=method, notes=notes, meta=dict(meta or {}),
                                created=clock.stamp())
    empty_routes = [Route(pid, t, float(x), float(y), [], 0.0, 0.0, 0.0 if speed_kmh else None)
                    for pid, (x, y) in zip(ids, post_geo, strict=True) for t in range(1, teams + 1)]
    if len(post_geo) == 0:
        return Plan([], candidates=0, risk_covered=0.0, share_covered=0.0, status="empty",
                    reason="no ranger posts were given", **base)

    order = risk.assign(i=np.arange(len(risk))).dropna(subset=["risk"])
    order = order[order["risk"] > 0].sort_values(["risk", "cell_id"], ascending=[False, True])
    if order.empty:
        return Plan(empty_routes, candidates=0, risk_covered=0.0, share_covered=0.0,
                    status="empty", reason="no cell has a risk above 0", **base)

    xy_posts = _local_xy(post_geo[:, 0], post_geo[:, 1], centre)
    idx = order["i"].to_numpy()
    xy_all = _local_xy(cell_geo[idx, 0], cell_geo[idx, 1], centre)
    to_post = np.hypot(*(xy_all[:, None, :] - xy_posts[None, :, :]).transpose(2, 0, 1))
    reach_by_post = 2 * to_post <= budget_km * 1000          # (cells by risk, posts)
    if not reach_by_post.any():
        nearest = float(to_post.min()) / 1000
        return Plan(empty_routes, candidates=0, risk_covered=0.0, share_covered=0.0,
                    status="unreachable",
                    reason=(f"no cell with risk can be reached and left within {budget_km:g} km: "
                            f"the nearest is {nearest:.2f} km from a post "
                            f"({2 * nearest:.2f} km there and back)"), **base)
    chosen = _candidates(reach_by_post, max_cells)
    reachable = int(reach_by_post.any(axis=1).sum())
    if reachable > max_cells:
        notes.append(f"candidates: {max_cells} of the {reachable} cells with risk in reach "
                     f"(the highest-risk in reach of each post, then the highest overall)")
    idle = [ids[p] for p in range(len(ids)) if not reach_by_post[:, p].any()]
    if idle:
        notes.append(f"no cell with risk is within reach of post(s) {', '.join(idle)}")
    top, xy_cells = order.iloc[chosen], xy_all[chosen]
    cells = [Stop(int(c), float(cell_geo[i, 0]), float(cell_geo[i, 1]), float(r))
             for c, i, r in zip(top["cell_id"], top["i"], top["risk"], strict=True)]

    xy = np.vstack([xy_posts, xy_cells])
    dist = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))  # metres
    vehicles = [p for p in range(len(xy_posts)) for _ in range(teams)]
    search: dict[str, Any] = {"solver": "greedy"}
    if method == "greedy":
        seqs, status = _greedy(dist, cells, vehicles, budget_km * 1000), "greedy"
    else:
        seqs, status, search = _ortools(dist, cells, vehicles, budget_km * 1000, metaheuristic,
                                        solution_limit, time_limit_s)
    routes = []
    for v, (route0, seq) in enumerate(zip(empty_routes, seqs, strict=True)):
        p = vehicles[v]
        path = [p, *(len(xy_posts) + k for k in seq), p]
        km = float(sum(dist[a, b] for a, b in zip(path[:-1], path[1:], strict=True))) / 1000
        stops = [cells[k] for k in seq]
        covered = float(sum(s.risk for s in stops))
        routes.append(Route(route0.post_id, route0.team, route0.post_lon, route0.post_lat, stops,
                            round(km, 6), covered, round(km / speed_kmh, 3) if speed_kmh else None))
    covered = float(sum(r.risk_covered for r in routes))
    reason = "" if any(r.stops for r in routes) else f"the search found no route ({status})"
    return Plan(routes, candidates=len(cells), risk_covered=covered,
                share_covered=covered / total_risk if total_risk > 0 else 0.0, status=status,
                reason=reason, search=search, **base)


def _ortools(dist: np.ndarray, cells: list[Stop], vehicles: list[int], budget_m: float,
             metaheuristic: str, solution_limit: int, time_limit_s: float
             ) -> tuple[list[list[int]], str, dict[str, Any]]:
    """OR-Tools prize-collecting routing; returns each vehicle's cell sequence (cell indexes)."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    n_posts = int(dist.shape[0] - len(cells))
    manager = pywrapcp.RoutingIndexManager(int(dist.shape[0]), len(vehicles), vehicles, vehicles)
    routing = pywrapcp.RoutingModel(manager)
    # Whole metres rounded up: a route within the integer budget is within the real one.
    matrix = np.ceil(dist).astype(np.int64)
    transit = routing.RegisterTransitMatrix(matrix.tolist())
    routing.SetArcCostEvaluatorOfAllVehicles(transit)
    cap = int(np.floor(budget_m))
    routing.AddDimension(transit, 0, cap, True, "distance")
    weight = _RISK_WEIGHT * max(cap * len(vehicles), 1)
    for k, cell in enumerate(cells):
        routing.AddDisjunction([manager.NodeToIndex(n_posts + k)], int(round(cell.risk * weight)))
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = (
        routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION)
    meta_name = _METAHEURISTICS[metaheuristic]
    params.local_search_metaheuristic = getattr(routing_enums_pb2.LocalSearchMetaheuristic,
                                                meta_name)
    if metaheuristic != "greedy_descent":
        params.solution_limit = int(solution_limit)
    params.time_limit.FromMilliseconds(int(time_limit_s * 1000))
    params.log_search = False
    routing.CloseModelWithParameters(params)
    # Two starts, the better kept: OR-Tools' own insertion, and the greedy plan (so the result is
    # never worse than greedy); local search from each is deterministic.
    first = routing.SolveWithParameters(params)
    greedy = routing.ReadAssignmentFromRoutes(
        [[manager.NodeToIndex(n_posts + k) for k in seq]
         for seq in _greedy(matrix.astype(float), cells, vehicles, cap)], True)
    second = routing.SolveFromAssignmentWithParameters(greedy, params) if greedy else None
    found = [x for x in (first, second) if x is not None]
    solution = min(found, key=lambda x: x.ObjectiveValue()) if found else None
    start = ("parallel cheapest insertion" if solution is not None and solution is first
             else "greedy insertion")
    status = routing_enums_pb2.RoutingSearchStatus.Value.Name(routing.status())
    wall_s = routing.solver().WallTime() / 1000
    search = {"solver": "ortools", "starts": "parallel cheapest insertion; greedy insertion",
              "best_start": start,
              "metaheuristic": meta_name, "time_limit_s": time_limit_s,
              "wall_s": round(wall_s, 3),
              "stopped_by": ("time limit" if "TIMEOUT" in status or wall_s >= 0.99 * time_limit_s
                             else "local optimum" if metaheuristic == "greedy_descent"
                             else "solution limit")}
    if metaheuristic != "greedy_descent":
        search["solution_limit"] = int(solution_limit)
    if solution is None:
        return [[] for _ in vehicles], status, search
    seqs: list[list[int]] = []
    for v in range(len(vehicles)):
        index = solution.Value(routing.NextVar(routing.Start(v)))
        seq = []
        while not routing.IsEnd(index):
            seq.append(manager.IndexToNode(index) - n_posts)
            index = solution.Value(routing.NextVar(index))
        seqs.append(seq)
    return seqs, status, search


def _greedy(dist: np.ndarray, cells: list[Stop], vehicles: list[int],
            budget_m: float) -> list[list[int]]:
    """Cheapest insertion by risk per added metre, over all routes, until nothing fits."""
    n_posts = int(dist.shape[0] - len(cells))
    risk = np.array([c.risk for c in cells])
    seqs: list[list[int]] = [[] for _ in vehicles]
    used = np.zeros(len(vehicles))
    left = np.ones(len(cells), dtype=bool)
    while left.any():
        best: tuple[float, int, int, int, float] | None = None
        ks = np.flatnonzero(left)
        nodes = n_posts + ks
        for v, p in enumerate(vehicles):
            path = np.array([p, *(n_posts + k for k in seqs[v]), p])
            a, b = path[:-1], path[1:]
            added = dist[a][:, nodes] + dist[nodes][:, b].T - dist[a, b][:, None]
            pos = added.argmin(axis=0)
            cost = added[pos, np.arange(len(ks))]
            ok = used[v] + cost <= budget_m
            if not ok.any():
                continue
            score = np.where(ok, risk[ks] / (cost + 1.0), -np.inf)
            j = int(score.argmax())
            if best is None or score[j] > best[0]:
                best = (float(score[j]), v, int(ks[j]), int(pos[j]), float(cost[j]))
        if best is None:
            break
        _, v, k, pos_k, added_m = best
        seqs[v].insert(pos_k, k)
        used[v] += added_m
        left[k] = False
    return seqs
