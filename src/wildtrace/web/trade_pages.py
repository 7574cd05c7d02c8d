"""The trade pages of the workbench: the report (``/trade``, ``/trade/report``), reconciliation,
the captive-breeding screen, trends and routes, and the records behind each flag
(``/trade/records``, as a page, CSV or JSON).

Adapters only: each page parses the filters (a GET form: taxon, years, term, unit, country)
into a ``trade.selection.Selection``, calls the library functions the JSON API calls
(``web/api/trade.py``, the same trade database: ``app.state.trade_db``, else the setting) and
renders. Every (term, unit) series of the selection is in one table with both reports; the top
ones (``volumes.TOP_RULE``) are charted as inline SVG from ``trade.charts`` (per year, top
exporters, importers and flows), each with a table beside it; exporter- and importer-reported
quantities side by side, never added; names beside codes.
Any logged-in role may read. With no trade database the page says how to make one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import duckdb
import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from markupsafe import Markup

from wildtrace.store.accounts import Principal
from wildtrace.trade import charts, flags, names, origin, records, schema
from wildtrace.trade.coverage import counts
from wildtrace.trade.reconcile import reconcile
from wildtrace.trade.report import loads_of, report
from wildtrace.trade.routes import routes
from wildtrace.trade.screen import screen
from wildtrace.trade.selection import Selection, choices, narrow
from wildtrace.trade.trends import spikes
from wildtrace.trade.volumes import SIDES, lemis_outcomes, volumes
from wildtrace.web.api.trade import open_trade, ranges_of, register_of
from wildtrace.web.deps import Viewer
from wildtrace.web.errors import ApiError

router = APIRouter(include_in_schema=False)

#: the one sentence a page shows when the server has no trade database
NO_DATABASE = ("No trade database is loaded on this server yet: load CITES or LEMIS files with "
               "`wildtrace trade load FILES --db PATH` (or make synthetic ones with `wildtrace trade synth`) "
               "and start the workbench with `wildtrace serve --trade-db PATH`.")
#: page name -> (title, the analysis)
PAGES = {"reconcile": "Reconciliation: exporter and importer reports",
         "screen": "Captive-breeding screen (Res. Conf. 17.7)",
         "trends": "Trends: volume spikes",
         "routes": "Routes: new routes and re-exports"}
Code = Annotated[str | None, Query(max_length=20, pattern=r"^[A-Za-z0-9]*$")]


def selection(taxon: Annotated[str | None, Query(max_length=200)] = None,
              year_from: Annotated[int | None, Query(ge=1900, le=2200)] = None,
              year_to: Annotated[int | None, Query(ge=1900, le=2200)] = None,
              term: Code = None, unit: Code = None, country: Code = None,
              exporter: Code = None, importer: Code = None,
              limit: Annotated[int, Query(ge=1, le=5000)] = 200) -> Selection:
    """The filters of every trade page (blank fields select everything)."""
    return Selection(taxon=taxon or None, year_from=year_from, year_to=year_to, term=term or None,
                     unit=unit or None, country=country or None, exporter=exporter or None,
                     importer=importer or None, limit=limit)


SelectionDep = Annotated[Selection, Depends(selection)]


def _render(request: Request, template: str, who: Principal, status: int = 200, **ctx: Any) -> Response:
    return request.app.state.templates.TemplateResponse(  # type: ignore[no-any-return]
        request, template, {"who": who, "names": names, **ctx}, status_code=status)


def _charts(con: duckdb.DuckDBPyConnection, sel: Selection, dataset: str | None = None) -> dict[str, Any]:
    """The volumes of the selection per (term, unit) with their charts (as markup: the library
    escapes every label)."""
    v = volumes(con, sel, dataset=dataset)
    for entry in v["by_unit"]:
        entry["charts"] = {k: Markup(svg) for k, svg in charts.volume_charts(entry, v["sides"]).items()}
    return v


def _page(request: Request, who: Principal, sel: Selection, template: str,
          compute: Callable[[duckdb.DuckDBPyConnection], dict[str, Any]], **ctx: Any) -> Response:
    """Open the trade database, compute, render; no database (or a locked one) is a page that
    says what to do, not an error."""
    try:
        with open_trade(request) as con:
            found = compute(con)
            loads = loads_of(con)
            ctx.update(found, choices=choices(con), loads=loads, loaded=counts(con),
                       synthetic=any(ld.get("origin") == origin.SYNTHETIC for ld in loads))
    except ApiError as err:
        if err.code == "not_found":
            return _render(request, "trade_missing.html", who, message=NO_DATABASE, detail=err.message)
        if err.code == "trade_db_unavailable":
            return _render(request, "trade_missing.html", who, status=503, message=err.message, detail="")
        raise
    api_q = {k: v for k, v in _query(sel).items() if k in ("taxon", "year_from", "year_to")}
    return _render(request, template, who, sel=sel, q=_query(sel), api_q=api_q, notice=origin.NOTICE, SIDES=SIDES,
                   BULK=schema.BULK, **ctx)


def _query(sel: Selection) -> dict[str, Any]:
    """The selection as query parameters (for links that keep the filters)."""
    return {k: v for k, v in (("taxon", sel.taxon), ("year_from", sel.year_from), ("year_to", sel.year_to),
                              ("term", sel.term), ("unit", sel.unit), ("country", sel.country)) if v not in (None, "")}


def _rows(result: dict[str, Any], sel: Selection, lists: tuple[str, ...] = ("flags",)) -> dict[str, Any]:
    narrowed = narrow(result, sel, lists)
    narrowed["rows"] = [flags.row(f) for f in narrowed["flags"]]
    return narrowed


@router.get("/trade")
@router.get("/trade/report")
def trade_report(*, request: Request, who: Viewer, sel: SelectionDep) -> Response:
    """Every analysis at a glance, the volumes of the selection per term and unit, the sources
    loaded (with their citations; synthetic data says so) and the LEMIS line items."""
    def compute(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
        rep = report(con, ranges=ranges_of(request), register=register_of(request), taxon=sel.taxon,
                     year_from=sel.year_from, year_to=sel.year_to, limit=sel.limit)
        analyses = {name: _rows(rep[key], sel, ("flags", "reexport_chains") if name == "routes" else ("flags",))
                    for name, key in (("reconcile", "reconcile"), ("screen", "screen"), ("trends", "spikes"),
                                      ("routes", "routes"))}
        lemis = counts(con).get(schema.LEMIS, 0)
        outcomes = lemis_outcomes(con, sel) if lemis else []
        return {"analyses": analyses, "volumes": _charts(con, sel),
                "lemis": _charts(con, sel, schema.LEMIS) if lemis else None, "outcomes": outcomes,
                "outcome_chart": Markup(charts.outcomes(outcomes))}
    return _page(request, who, sel, "trade_report.html", compute, title="Trade report", PAGES=PAGES)


def _analysis(name: str, run: Callable[[Request, duckdb.DuckDBPyConnection], dict[str, Any]],
              lists: tuple[str, ...] = ("flags",)) -> Callable[..., Response]:
    def page(*, request: Request, who: Viewer, sel: SelectionDep) -> Response:
        def compute(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
            return {"result": _rows(run(request, con), sel, lists), "volumes": _charts(con, sel)}
        return _page(request, who, sel, "trade_analysis.html", compute, name=name, title=PAGES[name], PAGES=PAGES)
    page.__name__ = f"trade_{name}_page"
    page.__doc__ = f"{PAGES[name]}: flags of the selection with their records, charts per term and unit."
    return page


router.get("/trade/reconcile")(_analysis("reconcile", lambda _r, con: reconcile(con)))
router.get("/trade/screen")(_analysis(
    "screen", lambda r, con: screen(con, ranges=ranges_of(r), register=register_of(r))))
router.get("/trade/trends")(_analysis("trends", lambda _r, con: spikes(con)))
router.get("/trade/routes")(_analysis("routes", lambda _r, con: routes(con), ("flags", "reexport_chains")))


@router.get("/trade/records")
def trade_records(*, request: Request, who: Viewer, sel: SelectionDep,
                  id: Annotated[list[str] | None, Query(max_length=records.MAX_IDS)] = None,  # noqa: A002
                  format: Annotated[str, Query(pattern="^(html|csv|json)$")] = "html") -> Response:  # noqa: A002
    """The records behind a flag (``id=...`` repeated) or in the selection: a page, CSV or JSON."""
    ids = [i[:200] for i in id or [] if i]
    if format != "html":
        with open_trade(request) as con:
            found = records.fetch(con, ids=ids or None, sel=sel, limit=sel.limit)
        if format == "csv":
            return Response(records.to_csv(found), media_type="text/csv; charset=utf-8",
                            headers={"Content-Disposition": 'attachment; filename="trade-records.csv"'})
        return Response(orjson.dumps(found, default=str), media_type="application/json",
                        headers={"Content-Disposition": 'attachment; filename="trade-records.json"'})
    return _page(request, who, sel, "trade_records.html",
                 lambda con: {"found": records.fetch(con, ids=ids or None, sel=sel, limit=sel.limit)},
                 ids=ids, title="Trade records", PAGES=PAGES)
