"""The workbench application: ``create_app(db_url, settings)`` builds the FastAPI app.

Thin: every route calls ``wildtrace.store`` / ``wildtrace.scan``; this module only wires the
store, the middleware, the error handlers, the routers, the templates and the static files.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from wildtrace import __version__
from wildtrace.evidence.net import allowed_origins
from wildtrace.settings import Settings
from wildtrace.store import accounts as auth
from wildtrace.store.sql import SQLStore
from wildtrace.web import errors
from wildtrace.web.api import router as api_router
from wildtrace.web.api.patrols import router as patrols_api_router
from wildtrace.web.api.trade import router as trade_router
from wildtrace.web.capture_pages import router as capture_pages_router
from wildtrace.web.case_pages import router as case_pages_router
from wildtrace.web.client import trusted_networks
from wildtrace.web.deps import settle_heap
from wildtrace.web.entity_pages import router as entity_router
from wildtrace.web.guard import Guard
from wildtrace.web.model_pages import router as model_pages_router
from wildtrace.web.pages import router as pages_router
from wildtrace.web.patrol_pages import router as patrol_pages_router
from wildtrace.web.queue_pages import router as queue_pages_router
from wildtrace.web.search_pages import router as search_router
from wildtrace.web.source_pages import router as source_pages_router
from wildtrace.web.templating import configure
from wildtrace.web.trade_pages import router as trade_pages_router

HERE = Path(__file__).resolve().parent


def create_app(db: str | Path, settings: Settings | None = None, *, max_body: int | None = None,
               trade_db: str | Path | None = None,
               trade_ranges: str | Path | None = None, trade_register: str | Path | None = None,
               trusted_proxies: str | Iterable[str] | None = None,
               login_throttle: auth.LoginThrottle | None = None,
               capture_allow_origins: Iterable[str] = ()) -> FastAPI:
    """The workbench. ``trusted_proxies`` (addresses or CIDRs; default: the settings'
    ``trusted_proxies`` if it has one, else none) are the only peers whose X-Forwarded-For is
    believed; ``login_throttle`` replaces the default back-off (tests pass one with a fixed clock);
    ``capture_allow_origins`` (``scheme://host:port``) are the only non-public origins a capture
    started from the UI may fetch (``serve --demo`` passes its loopback demo site)."""
    app = FastAPI(title="WildTrace workbench API", version=__version__,
                  description="Scan listings, triage them, label them, search and export. "
                              "Authenticate with a session cookie (the web UI) or "
                              "`Authorization: Bearer wt_...` (an API token).",
                  docs_url=None, redoc_url=None, openapi_url=None, lifespan=_lifespan)
    settings = settings or Settings()
    app.state.settings = settings
    app.state.store = SQLStore(db)
    app.state.scanner = None
    app.state.session_hours = settings.session_hours
    app.state.login_throttle = login_throttle or auth.LoginThrottle()
    if trusted_proxies is None:
        trusted_proxies = settings.trusted_proxies
    app.state.trusted_proxies = trusted_networks(trusted_proxies)
    app.state.trade_db, app.state.trade_ranges = trade_db, trade_ranges  # None: DATA_DIR/trade.duckdb
    app.state.trade_register = trade_register
    app.state.capture_allow_origins = allowed_origins(capture_allow_origins)  # a bad one fails here
    app.state.templates = configure(Jinja2Templates(directory=str(HERE / "templates")))
    errors.install(app)
    app.add_middleware(Guard, max_body=max_body or settings.max_body_bytes,
                       trusted_proxies=app.state.trusted_proxies)
    app.include_router(api_router, prefix="/api/v1")
    app.include_router(trade_router, prefix="/api/v1")
    app.include_router(patrols_api_router, prefix="/api/v1")
    app.include_router(search_router)  # before pages: its /search replaces the plain one
    app.include_router(pages_router)
    app.include_router(queue_pages_router)
    app.include_router(case_pages_router)
    app.include_router(entity_router)
    app.include_router(capture_pages_router)
    app.include_router(trade_pages_router)
    app.include_router(source_pages_router)
    app.include_router(model_pages_router)
    app.include_router(patrol_pages_router)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settle_heap()  # the app's own objects: out of the collector's sweeps while it serves
    yield
    gc.unfreeze()
    jobs = getattr(app.state, "capture_jobs", None)  # made on the first capture (web/capture_pages.py)
    if jobs is not None:
        jobs.close()
    retraining = getattr(app.state, "retrain_jobs", None)  # made on the first retrain (web/api/text_models.py)
    if retraining is not None:
        retraining.close()
    app.state.store.close()
