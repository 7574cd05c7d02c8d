"""The server-rendered UI (Jinja2 + htmx): log in and out, labels, the users admin page, and the
dashboard's world map (``/dashboard/map``: flagged listings per country, a full page, or the
fragment the dashboard loads with htmx). Same dependencies and library calls as the API."""

from __future__ import annotations

import secrets
import time
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from wildtrace import places
from wildtrace.errors import Invalid
from wildtrace.store import accounts as auth
from wildtrace.store import queue as q
from wildtrace.store.accounts import LOGIN_CSRF_COOKIE, SESSION_COOKIE, Principal
from wildtrace.store.audit import audit_entries
from wildtrace.store.labels import add_labels
from wildtrace.web.deps import Admin, Analyst, EngineDep, Viewer, iso_date
from wildtrace.web.errors import ApiError
from wildtrace.web.queue_pages import FLAGGED
from wildtrace.web.templating import query
from wildtrace.web.worldmap import breaks, choropleth, legend

router = APIRouter(include_in_schema=False)
#: Seconds a world-map count is reused (it reads the flagged listings' records of the range).
MAP_TTL_S = 60.0
#: Most flagged listings the map counts (highest risk first): about 60 µs each, so a bound of
#: seconds until the queue keeps a country column (see places.py).
MAP_MAX_ROWS = 50_000


def _render(request: Request, name: str, who: Principal | None, status: int = 200, **ctx: Any) -> Response:
    templates = request.app.state.templates
    return templates.TemplateResponse(request, name, {"who": who, **ctx}, status_code=status)  # type: ignore[no-any-return]


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


@router.get("/login", response_class=HTMLResponse)
def login_form(*, request: Request, expired: int = 0) -> Response:
    token = secrets.token_urlsafe(32)
    response = _render(request, "login.html", None, csrf=token, expired=bool(expired), failed=False)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request),
                        max_age=3600)
    return response


@router.post("/login")
def login(*, request: Request, name: Annotated[str, Form(max_length=64)],
          password: Annotated[str, Form(max_length=1024)],
          csrf_token: Annotated[str, Form(max_length=200)] = "",
          eng: EngineDep) -> Response:
    if not auth.csrf_ok(request.cookies.get(LOGIN_CSRF_COOKIE, ""), csrf_token):
        raise ApiError(403, "csrf_failed", "missing or wrong CSRF token; reload the login page")
    throttle: auth.LoginThrottle = request.app.state.login_throttle
    client = request.client.host if request.client else "unknown"  # the socket's (guard.py)
    keys = throttle.keys(name, client)
    wait = throttle.begin(eng, *keys)  # counted before the password check, atomically
    if wait > 0:
        auth.record_login(eng, name, False, client, "throttled")
        raise ApiError(429, "too_many_attempts",
                       f"too many failed logins; try again in {int(wait) + 1} s",
                       headers={"Retry-After": str(int(wait) + 1)})
    user = auth.check_password(eng, name, password)
    if user is None:
        auth.record_login(eng, name, False, client, "wrong name or password")
        response = _render(request, "login.html", None, status=401, csrf=csrf_token, expired=False, failed=True)
        return response
    throttle.succeeded(eng, *keys)
    auth.record_login(eng, user["name"], True, client)
    token, _csrf = auth.create_session(eng, user["name"], hours=request.app.state.session_hours)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request),
                        max_age=int(request.app.state.session_hours * 3600))
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(*, request: Request, who: Viewer, eng: EngineDep) -> Response:
    auth.end_session(eng, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.post("/label")
def label(*, request: Request, listing_id: Annotated[str, Form(max_length=1000)],
          label: Annotated[str, Form(max_length=50)], note: Annotated[str, Form(max_length=10_000)] = "",
          next_id: Annotated[str, Form(max_length=1000)] = "",
          who: Analyst, eng: EngineDep) -> Response:
    add_labels(eng, [listing_id], label, who.name, note)
    if request.headers.get("hx-request"):
        row = q.get(eng, listing_id)
        return _render(request, "_label_cell.html", who, row=row)
    target = next_id or listing_id
    return RedirectResponse("/listing?" + urlencode({"id": target}), status_code=303)


@router.post("/bulk-label")
async def bulk_label(*, request: Request, who: Analyst,
                     eng: EngineDep) -> Response:
    form = await request.form()
    ids = [str(v) for v in form.getlist("listing_id")][:1000]
    if not ids:
        raise ApiError(422, "invalid_value", "select at least one listing")
    add_labels(eng, ids, str(form.get("label", "")), who.name, str(form.get("note", ""))[:10_000])
    back = str(form.get("back", "/"))
    return RedirectResponse(back if back.startswith("/") and not back.startswith("//") else "/",
                            status_code=303)


def _users(request: Request, who: Principal, eng: Any, *, status: int = 200, error: str = "",
           form: dict[str, str] | None = None) -> Response:
    """The users page; after a refused add, the message and what was typed (never the password)."""
    return _render(request, "users.html", who, status=status, users=auth.list_users(eng), roles=auth.ROLES,
                   audit=audit_entries(eng, limit=100), min_password=auth.MIN_PASSWORD, error=error,
                   form=form or {"name": "", "role": "viewer"})


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(*, request: Request, who: Admin, eng: EngineDep) -> Response:
    return _users(request, who, eng)


@router.post("/admin/users")
def add_user(*, request: Request, name: Annotated[str, Form(max_length=64)], role: Annotated[str, Form()],
             password: Annotated[str, Form(max_length=1024)], who: Admin,
             eng: EngineDep) -> Response:
    try:
        auth.add_user(eng, name, role, password, actor=who.name)
    except Invalid as e:
        return _users(request, who, eng, status=422, error=str(e), form={"name": name, "role": role})
    return RedirectResponse("/admin/users", status_code=303)




def _tally(request: Request, eng: Any, f: q.Filters) -> places.Tally:
    """Flagged listings per country for a range, reused for ``MAP_TTL_S`` (one per range)."""
    state = request.app.state
    cache: dict[tuple[str, str], tuple[float, places.Tally]] | None = getattr(state, "world_tally", None)
    if cache is None:
        cache = state.world_tally = {}
    key = (f.posted_from, f.posted_to)
    hit = cache.get(key)
    if hit is None or time.monotonic() - hit[0] > MAP_TTL_S:
        if len(cache) > 32:
            cache.clear()
        hit = cache[key] = (time.monotonic(), places.tally(q.export(eng, f, limit=MAP_MAX_ROWS)))
    return hit[1]


@router.get("/dashboard/map", response_class=HTMLResponse)
def world_map(*, request: Request, who: Viewer, eng: EngineDep, posted_from: str = "", posted_to: str = "",
              country: Annotated[str, Query(max_length=3)] = "") -> Response:
    f = q.Filters(verdict=FLAGGED, posted_from=iso_date("posted_from", posted_from),
                  posted_to=iso_date("posted_to", posted_to))
    t = _tally(request, eng, f)
    span = {"posted_from": posted_from, "posted_to": posted_to}
    names = {code: places.name_of(code) for code in t.counts}
    top = max(t.counts.values(), default=0)
    title = "Flagged listings per country"
    svg = choropleth(t.counts, lambda code: "/dashboard/map?" + query(span, country=code), title=title,
                     names=names)
    code = country.upper()
    rows = sorted(t.counts.items(), key=lambda kv: (-kv[1], names[kv[0]]))
    template = "_world_map.html" if request.headers.get("hx-request") else "world_map.html"
    counted = t.placed + t.missing + sum(t.unplaced.values())
    return _render(request, template, who, t=t, svg=svg, rows=rows, names=names, span=span,
                   limited=MAP_MAX_ROWS if counted >= MAP_MAX_ROWS else 0,
                   legend=legend(breaks(top), top), country=code,
                   country_name=places.name_of(code) if code else "", verdict=FLAGGED)
