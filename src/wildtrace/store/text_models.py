"""Text models trained in the workbench (``text_models``): which exist, which one is in use.

A model is trained from the analysts' labels (``learn/retrain.py``) into its own folder,
``DATA_DIR/models/<id>``, never overwritten, and recorded here as a ``candidate`` with its label
counts and its evaluation beside the model then in use. It is used only once an analyst accepts
it: ``accept`` makes it ``active`` and the one active before ``retired``, in one transaction,
audited (``model.accept``) like every other decision. At most one model is active at a time.

The module also reads which model scored each queue row (``result_models``), for the pages that
name the model on every result, and turns a stored model key into words (``describe``).
"""

from __future__ import annotations

from typing import Any

import orjson
import sqlalchemy as sa

from wildtrace import clock
from wildtrace.errors import Invalid, NotFound
from wildtrace.store import db
from wildtrace.store.audit import audit
from wildtrace.store.schema import queue, scan_results, text_models

STATUSES = ("candidate", "active", "retired")


def _row(r: Any) -> dict[str, Any]:
    out = dict(r._mapping)
    out["evaluation"] = orjson.loads(out["evaluation"] or "{}")
    return out


def add(engine: sa.Engine, *, model_id: str, path: str, name: str, version: str, created_by: str,
        labels: int, positives: int, evaluation: dict[str, Any]) -> dict[str, Any]:
    """Record a newly trained model as a ``candidate`` (audited ``model.train``); returns its row."""
    values = {"id": model_id, "path": path, "name": name, "version": version, "created_at": clock.stamp(),
              "created_by": created_by, "labels": int(labels), "positives": int(positives),
              "evaluation": orjson.dumps(evaluation).decode(), "status": "candidate"}

    def work(conn: sa.Connection) -> None:
        conn.execute(text_models.insert().values(**values))
        audit(conn, created_by, "model.train", f"model:{model_id}", None,
              {"name": name, "version": version, "labels": labels, "positives": positives})

    db.write(engine, work)
    return get(engine, model_id)


def get(engine: sa.Engine, model_id: str) -> dict[str, Any]:
    """Model ``model_id``, else ``NotFound``."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(text_models).where(text_models.c.id == model_id)).first()
    if row is None:
        raise NotFound(f"no model {model_id!r}")
    return _row(row)


def all_models(engine: sa.Engine, limit: int = 100) -> list[dict[str, Any]]:
    """The newest ``limit`` models, newest first."""
    c = text_models.c
    with engine.connect() as conn:
        rows = conn.execute(sa.select(text_models).order_by(c.created_at.desc(), c.id.desc()).limit(limit)).all()
    return [_row(r) for r in rows]


def active(engine: sa.Engine) -> dict[str, Any] | None:
    """The model in use, or None when none was accepted."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(text_models).where(text_models.c.status == "active")).first()
    return _row(row) if row is not None else None


def accept(engine: sa.Engine, model_id: str, actor: str) -> dict[str, Any]:
    """Make ``model_id`` the model in use; the one in use before is retired. Audited
    (``model.accept``, before: the model replaced). Accepting the active model is ``Invalid``."""
    c = text_models.c

    def work(conn: sa.Connection) -> dict[str, Any] | None:
        row = conn.execute(sa.select(c.status).where(c.id == model_id).with_for_update()).first()
        if row is None:
            raise NotFound(f"no model {model_id!r}")
        if row.status == "active":
            raise Invalid(f"model {model_id} is already the model in use")
        before = conn.execute(sa.select(c.id, c.name, c.version).where(c.status == "active")
                              .with_for_update()).first()
        conn.execute(text_models.update().where(c.status == "active").values(status="retired"))
        conn.execute(text_models.update().where(c.id == model_id)
                     .values(status="active", accepted_by=actor, accepted_at=clock.stamp()))
        replaced = dict(before._mapping) if before is not None else None
        audit(conn, actor, "model.accept", f"model:{model_id}", {"active": replaced}, {"active": model_id})
        return replaced

    db.write(engine, work)
    return get(engine, model_id)


def result_models(engine: sa.Engine, listing_ids: list[str]) -> dict[str, str]:
    """Listing id -> the model key (``name version [data]``) of the result its queue row shows:
    the newest result of its current version."""
    if not listing_ids:
        return {}
    r, q = scan_results.c, queue.c
    stmt = (sa.select(r.listing_id, r.model, r.scanned_at)
            .join(queue, sa.and_(q.listing_id == r.listing_id, q.content_sha256 == r.content_sha256))
            .where(q.listing_id.in_(listing_ids)).order_by(r.listing_id, r.scanned_at))
    out: dict[str, str] = {}
    with engine.connect() as conn:
        for listing_id, model, _ in conn.execute(stmt):
            out[listing_id] = model  # ordered by scan time: the newest stays
    return out


def describe(key: str) -> str:
    """A stored model key in words: ``rules 0.9 + text model workbench-x 1.ab`` (a text model
    combined with the rules is stamped ``rules+model`` / ``version+version``)."""
    parts = key.split(" ")
    name, version = parts[0], parts[1] if len(parts) > 1 else ""
    if "+" in name and version.count("+") >= 1:
        rules, model = name.split("+", 1)
        rules_version, model_version = version.split("+", 1)
        return f"{rules} {rules_version} + {model} {model_version}"
    return f"{name} {version}".strip() + " (rules alone)"
