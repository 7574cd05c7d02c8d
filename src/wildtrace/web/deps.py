"""FastAPI dependencies: who is asking (session cookie or API token), CSRF, and roles.

Who is asking is looked up once per credential and store generation (``web/prebuilt.py``):
logging out, revoking a token, disabling a user or changing a role are committed writes, so they
move the generation and the next request looks the credential up again; a session's expiry is
checked against the clock on every request. A hit costs the generation read (a few µs on SQLite,
one round trip on PostgreSQL) instead of a join over users and sessions or tokens.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
from collections.abc import Awaitable, Callable
from typing import Annotated

import sqlalchemy as sa
from fastapi import Depends, Request

from wildtrace.learn.workbench import scanner_for
from wildtrace.scan.scanner import Scanner
from wildtrace.store.accounts import (
    SESSION_COOKIE,
    AuthError,
    Principal,
    csrf_ok,
    session_expired,
    session_lookup,
    token_principal,
)
from wildtrace.store.sql import SQLStore
from wildtrace.web.errors import ApiError
from wildtrace.web.prebuilt import principals, request_generation

SAFE = {"GET", "HEAD", "OPTIONS"}


def _sha(credential: str) -> str:
    """Credentials are kept by their hash only, never as given."""
    return hashlib.sha256(credential.encode()).hexdigest()


def engine(request: Request) -> sa.Engine:
    return request.app.state.store.engine  # type: ignore[no-any-return]


def store(request: Request) -> SQLStore:
    return request.app.state.store  # type: ignore[no-any-return]


def scanner(request: Request) -> Scanner:
    state = request.app.state
    if state.scanner is None:  # the model accepted in the workbench, else the setting's
        state.scanner = scanner_for(state.settings, state.store.engine)
        settle_heap()  # its lexicon and reference data stay as long as the app
    return state.scanner  # type: ignore[no-any-return]


def settle_heap() -> None:
    """Leave what the process holds now (the app at start-up; the scanner's lexicon and reference
    data once built: ~200,000 objects) out of the garbage collector's sweeps (``gc.freeze``). A
    full sweep walks every tracked object (~90 ms on this heap), and a page that builds thousands
    of rows (a search, a 500-listing case or seller) set one off every few requests: their p95
    was 2-3 times their median at 1M listings. Garbage is collected first: only live objects are
    frozen. ``gc.unfreeze`` (the app's shutdown) hands them back."""
    gc.collect()
    gc.freeze()


async def principal(request: Request) -> Principal:
    eng = engine(request)
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthError("bad_token", "use Authorization: Bearer <API token>")
        kept = await principals(request)
        who, _ = kept.get(("token", _sha(token.strip())),
                          lambda: (token_principal(eng, token.strip()), ""), request_generation(request, kept))
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie:
            raise AuthError("login_required", "log in first (session cookie or API token)")
        kept = await principals(request)
        who, expires_at = kept.get(("session", _sha(cookie)),
                                   lambda: session_lookup(eng, cookie), request_generation(request, kept))
        if session_expired(expires_at):
            raise AuthError("session_expired", "the session has expired; log in again")
        if request.method not in SAFE:
            given = request.headers.get("x-csrf-token")
            ctype = request.headers.get("content-type", "")
            if not given and ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
                form = await request.form()
                value = form.get("csrf_token")
                given = value if isinstance(value, str) else None
            if not csrf_ok(who.csrf, given):
                raise ApiError(403, "csrf_failed", "missing or wrong CSRF token; reload the page")
    request.state.principal = who
    return who


def require(role: str) -> Callable[..., Awaitable[Principal]]:
    async def check(who: Annotated[Principal, Depends(principal)]) -> Principal:
        if not who.can(role):
            raise ApiError(403, "forbidden", f"this needs the {role} role; you are {who.role}")
        return who

    return check


viewer = require("viewer")
analyst = require("analyst")
admin = require("admin")


# Annotated shorthands for route signatures
Viewer = Annotated[Principal, Depends(viewer)]
Analyst = Annotated[Principal, Depends(analyst)]
Admin = Annotated[Principal, Depends(admin)]
EngineDep = Annotated[sa.Engine, Depends(engine)]
StoreDep = Annotated[SQLStore, Depends(store)]
ScannerDep = Annotated[Scanner, Depends(scanner)]


def iso_date(name: str, value: str) -> str:
    """``value`` when it is empty or a date (YYYY-MM-DD); else a 422 naming the parameter."""
    if value:
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            raise ApiError(422, "invalid_value", f"{name} must be a date, YYYY-MM-DD") from None
    return value
