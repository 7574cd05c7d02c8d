"""Jinja2 set-up: autoescaping on, and the few helpers the templates use."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi.templating import Jinja2Templates
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup, escape

from wildtrace.store.labels import LABELS
from wildtrace.web.render import MAX_SHOWN_CHARS, bar_chart, highlight

LABEL_KEYS = {label: str(i) for i, label in enumerate(LABELS, start=1)}
SHORT_LABELS = {"wildlife_offer": "offer", "depiction_or_faux": "faux", "not_wildlife": "not wildlife",
                "unsure": "unsure"}
#: Each label button of a queue row, around the row's listing id (as JSON).
_BUTTONS = [(Markup(f'<button type="button" class="lbl" data-key="{escape(key)}" title="Label {escape(label)} '
                   f'(key {escape(key)})"\n      hx-post="/label" hx-vals=\'{{"listing_id": '),
             Markup(f', "label": "{escape(label)}"}}\'\n      hx-target="previous .label-cell" hx-swap="outerHTML"'
                    f'\n      ><kbd>{escape(key)}</kbd> {escape(SHORT_LABELS.get(label, label))}</button>'))
            for label, key in LABEL_KEYS.items()]


def label_buttons(listing_id: str) -> Markup:
    """The label buttons of one queue row (``_rows.html``), the id written as ``|tojson`` writes
    it. Built here, not in a template loop: a seller page has 2,000 of them (20 ms in Jinja)."""
    lid = htmlsafe_json_dumps(listing_id, sort_keys=True)  # escaped for HTML, as the pieces are
    return Markup("".join(f"{pre}{lid}{post}" for pre, post in _BUTTONS))


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
                       label_buttons=label_buttons,
                       highlight=highlight, MAX_SHOWN_CHARS=MAX_SHOWN_CHARS)
    env.filters["safe_url"] = safe_url
    env.filters["split_joined"] = lambda s: [p for p in str(s or "").split("|") if p]
    return templates
