"""Supply-chain analytics over HTTP: the ``wildtrace trade`` analyses, read-only.

``GET /api/v1/trade/{reconcile,screen,trends,routes}`` return the same JSON as
``wildtrace trade ... --json`` (the same library calls), optionally narrowed to one taxon
and a year range; ``GET /api/v1/trade/report`` returns the HTML report. The DuckDB file is
the server's (``create_app(trade_db=...)`` / ``wildtrace serve --trade-db``), opened
read-only per request. Any logged-in role may read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import duckdb
import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from wildtrace.trade.reconcile import reconcile
from wildtrace.trade.report import html_report, narrow, report
from wildtrace.trade.routes import routes
from wildtrace.trade.schema import NotATradeDatabase, connect, holds_records
from wildtrace.trade.screen import read_ranges, read_register, screen
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
def open_trade(request: Request) -> Iterator[duckdb.DuckDBPyConnection]:
    """The server's trade database, read-only, for one request (the API and the trade pages);
    ApiError ``not_found`` when there is none, ``trade_db_unavailable`` when it cannot be read."""
    path = trade_db(request)
    if not path.is_file():
        raise ApiError(404, "not_found", f"no trade database ({path.name}) on this server; "
                                         "load one with `wildtrace trade load FILES --db PATH`")
    try:
        con = connect(path, read_only=True)
    except (duckdb.Error, NotATradeDatabase) as exc:  # the message names server paths and PIDs: not passed on
        why = ("is locked by a writer (a `wildtrace trade load` running?); retry when it finishes"
               if "lock" in str(exc).lower() else "is not a readable DuckDB database")
        raise ApiError(409, "trade_db_unavailable", f"the trade database {path.name} {why}") from None
    try:
        if not holds_records(con):
            raise ApiError(404, "not_found", f"the trade database {path.name} holds no loaded trade records")
        yield con
    finally:
        con.close()


def _json(result: dict[str, Any]) -> Response:
    body = orjson.dumps(result, default=str, option=orjson.OPT_NON_STR_KEYS)
    return Response(body, media_type="application/json")


def ranges_of(request: Request) -> dict[str, set[str]] | None:
    """The server's range-state table (``serve --trade-ranges``), or None."""
    path = getattr(request.app.state, "trade_ranges", None)
    return read_ranges(Path(path)) if path else None


def register_of(request: Request) -> dict[str, set[str]] | None:
    """The server's register of Appendix-I captive-breeding operations, or None."""
    path = getattr(request.app.state, "trade_register", None)
    return read_register(Path(path)) if path else None


@dataclass(frozen=True)
class Narrowing:
    """The query every analysis takes: which flags to return (``flag_counts`` stay database totals)."""

    taxon: str | None
    year_from: int | None
    year_to: int | None
    limit: int


def narrowing(taxon: Taxon = None, year_from: YearFrom = None, year_to: YearTo = None,
              limit: Limit = 1000) -> Narrowing:
    return Narrowing(taxon, year_from, year_to, limit)


NarrowDep = Annotated[Narrowing, Depends(narrowing)]


def _analyse(request: Request, analysis: Callable[[duckdb.DuckDBPyConnection], dict[str, Any]], q: Narrowing,
             lists: tuple[str, ...] = ("flags",)) -> Response:
    with open_trade(request) as con:
        res = analysis(con)
    return _json(narrow(res, q.taxon, q.year_from, q.year_to, q.limit, lists))


@router.get("/reconcile")
def trade_reconcile(*, request: Request, _: Viewer, q: NarrowDep,
                    ratio: Annotated[float, Query(gt=1, le=1e6, description="flag permit matches beyond this quantity ratio")] = 1.5,
                    ) -> Response:
    """Exporter/importer reconciliation: coverage and mismatch flags (as `wildtrace trade reconcile --json`)."""
    return _analyse(request, lambda con: reconcile(con, ratio=ratio), q)


@router.get("/screen")
def trade_screen(*, request: Request, _: Viewer, q: NarrowDep) -> Response:
    """Captive-breeding laundering screen (Res. Conf. 17.7); range states from the server's ranges file."""
    return _analyse(request, lambda con: screen(con, ranges=ranges_of(request), register=register_of(request)), q)


@router.get("/trends")
def trade_trends(*, request: Request, _: Viewer, q: NarrowDep,
                 z: Annotated[float, Query(gt=0, le=1e6, description="robust z threshold")] = 3.5) -> Response:
    """Volume spikes per (taxon, exporter, term, source) (as `wildtrace trade trends --json`)."""
    return _analyse(request, lambda con: spikes(con, z=z), q)


@router.get("/routes")
def trade_routes(*, request: Request, _: Viewer, q: NarrowDep) -> Response:
    """New routes, re-export chains and flows (as `wildtrace trade routes --json`)."""
    return _analyse(request, routes, q, lists=("flags", "reexport_chains"))


@router.get("/report", response_class=HTMLResponse)
def trade_report(*, request: Request, _: Viewer, q: NarrowDep) -> HTMLResponse:
    """All analyses as the self-contained HTML report (as `wildtrace trade report --html`)."""
    with open_trade(request) as con:
        body = html_report(report(con, ranges=ranges_of(request), register=register_of(request), taxon=q.taxon, year_from=q.year_from,
                                  year_to=q.year_to, limit=q.limit))
    return HTMLResponse(body, headers={"Content-Security-Policy": REPORT_CSP})
