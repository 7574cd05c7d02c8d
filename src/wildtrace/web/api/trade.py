"""Supply-chain analytics over HTTP: the ``wildtrace trade`` analyses, read-only.

``GET /api/v1/trade/{reconcile,screen,trends,routes}`` return the same JSON as
``wildtrace trade ... --json`` (the same library calls), optionally narrowed to one taxon
and a year range; ``GET /api/v1/trade/report`` returns the HTML report. The DuckDB file is
the server's (``create_app(trade_db=...)`` / ``wildtrace serve --trade-db``), opened
read-only per request. Any logged-in role may read.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import duckdb
import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from wildtrace.trade.reconcile import reconcile
from wildtrace.trade.report import html_report, narrow, report
from wildtrace.trade.routes import routes
from wildtrace.trade.schema import connect
from wildtrace.trade.screen import read_ranges, screen
from wildtrace.trade.trends import spikes
from wildtrace.web.deps import Viewer
from wildtrace.web.errors import ApiError

router = APIRouter(prefix="/trade", tags=["trade"])

#: A strict policy for the self-contained report: its inline <style>, nothing else.
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"

Taxon = Annotated[str | None, Query(min_length=1, max_length=200, description="only flags for this taxon (exact, case-insensitive)")]
YearFrom = Annotated[int | None, Query(ge=1900, le=2200, description="only flags from this year on")]
YearTo = Annotated[int | None, Query(ge=1900, le=2200, description="only flags up to this year")]
Limit = Annotated[int, Query(ge=1, le=10_000, description="at most this many flags")]


def trade_db(request: Request) -> Path:
    """The server's trade database: ``app.state.trade_db``, else the setting (as the CLI)."""
    path = getattr(request.app.state, "trade_db", None)
    return Path(path) if path else Path(request.app.state.settings.trade_db_target)


@contextmanager
def _open(request: Request) -> Iterator[duckdb.DuckDBPyConnection]:
    path = trade_db(request)
    if not path.is_file():
        raise ApiError(404, "not_found", f"no trade database ({path.name}) on this server; "
                                         "load one with `wildtrace trade load FILES --db PATH`")
    try:
        con = connect(path, read_only=True)
    except duckdb.Error as exc:  # the DuckDB message names server paths and PIDs: not passed on
        why = ("is locked by a writer (a `wildtrace trade load` running?); retry when it finishes"
               if "lock" in str(exc).lower() else "is not a readable DuckDB database")
        raise ApiError(409, "trade_db_unavailable", f"the trade database {path.name} {why}") from None
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if not {"records", "loads"} <= tables:
            raise ApiError(404, "not_found", f"the trade database {path.name} holds no loaded trade records")
        yield con
    finally:
        con.close()


def _json(result: dict[str, Any]) -> Response:
    body = orjson.dumps(result, default=str, option=orjson.OPT_NON_STR_KEYS)
    return Response(body, media_type="application/json")


def _ranges(request: Request) -> dict[str, set[str]] | None:
    path = getattr(request.app.state, "trade_ranges", None)
    return read_ranges(Path(path)) if path else None


@router.get("/reconcile")
def trade_reconcile(*, request: Request, _: Viewer, taxon: Taxon = None, year_from: YearFrom = None,
                    year_to: YearTo = None, limit: Limit = 1000,
                    ratio: Annotated[float, Query(gt=1, le=1e6, description="flag permit matches beyond this quantity ratio")] = 1.5,
                    ) -> Response:
    """Exporter/importer reconciliation: coverage and mismatch flags (as `wildtrace trade reconcile --json`)."""
    with _open(request) as con:
        res = reconcile(con, ratio=ratio)
    return _json(narrow(res, taxon, year_from, year_to, limit))


@router.get("/screen")
def trade_screen(*, request: Request, _: Viewer, taxon: Taxon = None, year_from: YearFrom = None,
                 year_to: YearTo = None, limit: Limit = 1000) -> Response:
    """Captive-breeding laundering screen (Res. Conf. 17.7); range states from the server's ranges file."""
    with _open(request) as con:
        res = screen(con, ranges=_ranges(request))
    return _json(narrow(res, taxon, year_from, year_to, limit))


@router.get("/trends")
def trade_trends(*, request: Request, _: Viewer, taxon: Taxon = None, year_from: YearFrom = None,
                 year_to: YearTo = None, limit: Limit = 1000,
                 z: Annotated[float, Query(gt=0, le=1e6, description="robust z threshold")] = 3.5) -> Response:
    """Volume spikes per (taxon, exporter, term, source) (as `wildtrace trade trends --json`)."""
    with _open(request) as con:
        res = spikes(con, z=z)
    return _json(narrow(res, taxon, year_from, year_to, limit))


@router.get("/routes")
def trade_routes(*, request: Request, _: Viewer, taxon: Taxon = None, year_from: YearFrom = None,
                 year_to: YearTo = None, limit: Limit = 1000) -> Response:
    """New routes, re-export chains and flows (as `wildtrace trade routes --json`)."""
    with _open(request) as con:
        res = routes(con)
    return _json(narrow(res, taxon, year_from, year_to, limit, lists=("flags", "reexport_chains")))


@router.get("/report", response_class=HTMLResponse)
def trade_report(*, request: Request, _: Viewer, taxon: Taxon = None, year_from: YearFrom = None,
                 year_to: YearTo = None, limit: Limit = 1000) -> HTMLResponse:
    """All analyses as the self-contained HTML report (as `wildtrace trade report --html`)."""
    with _open(request) as con:
        body = html_report(report(con, ranges=_ranges(request), taxon=taxon, year_from=year_from,
                                  year_to=year_to, limit=limit))
    return HTMLResponse(body, headers={"Content-Security-Policy": REPORT_CSP})
