"""Jinja2 set-up: autoescaping on, and the few helpers the templates use."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi.templating import Jinja2Templates

from wildtrace.store.labels import LABELS
from wildtrace.web.render import MAX_SHOWN_CHARS, bar_chart, highlight

LABEL_KEYS = {label: str(i) for i, label in enumerate(LABELS, start=1)}


def query(params: dict[str, Any], **changes: Any) -> str:
    merged = {k: v for k, v in {**params, **changes}.items() if v not in (None, "")}
    return urlencode(merged)


def safe_url(url: Any) -> str:
    """Only http(s) links become clickable; ``javascript:`` and the like stay text."""
    text = str(url or "").strip()
    return text if text.lower().startswith(("http://", "https://")) else ""


def configure(templates: Jinja2Templates) -> Jinja2Templates:
    env = templates.env
    env.autoescape = True
    env.globals.update(LABELS=LABELS, LABEL_KEYS=LABEL_KEYS, query=query, bar_chart=bar_chart,
                       highlight=highlight, MAX_SHOWN_CHARS=MAX_SHOWN_CHARS)
    env.filters["safe_url"] = safe_url
    env.filters["split_joined"] = lambda s: [p for p in str(s or "").split("|") if p]
    return templates
