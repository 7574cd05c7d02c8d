"""Built seller networks in the store: the ``networks`` table.

``wildtrace network build`` saves each network it builds, whole, with its provenance, so the
workbench and case exports can read the latest instead of rebuilding it.

Why one JSON document per network and not node and edge tables: a built network is an
immutable snapshot that is always read whole (every exporter reads ``Network.to_dict()``),
never queried edge by edge across builds; its node and edge attributes follow the builder (new
evidence kinds, metrics) and would need a migration each time as columns; and the document
round-trips exactly to the JSON ``network build`` writes. The counts a listing needs (accounts,
links, time, input hash) are columns, so listing networks reads no JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa

from wildtrace import clock
from wildtrace.errors import NotFound
from wildtrace.store import db
from wildtrace.store.schema import networks


@dataclass(frozen=True)
class StoredNetwork:
    """A network as it was built: ``to_dict()`` is what ``Network.to_dict()`` returned then."""

    id: int
    built_at: str
    provenance: dict[str, Any]
    data: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return self.data


def save(engine: sa.Engine, network: dict[str, Any], provenance: dict[str, Any]) -> int:
    """Store a built network (``Network.to_dict()``) with its provenance; returns its id."""
    summary = network.get("summary") or {}
    built = network.get("provenance") or {}
    row = {"built_at": str(built.get("built_at") or provenance.get("generated_at") or clock.stamp()),
           "input_sha256": str(built.get("input_sha256") or provenance.get("input_sha256") or ""),
           "accounts": int(summary.get("accounts", 0)), "links": int(summary.get("links", 0)),
           "provenance": orjson.dumps(provenance).decode(), "network": orjson.dumps(network).decode()}
    return int(db.write(engine, lambda conn: conn.execute(
        networks.insert().values(**row).returning(networks.c.id)).scalar_one()))


def _stored(row: Any) -> StoredNetwork:
    return StoredNetwork(int(row.id), row.built_at, orjson.loads(row.provenance), orjson.loads(row.network))


def latest(engine: sa.Engine) -> StoredNetwork | None:
    """The network built last, or None when none was stored."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(networks).order_by(networks.c.id.desc()).limit(1)).first()
    return _stored(row) if row is not None else None


def get(engine: sa.Engine, network_id: int) -> StoredNetwork:
    with engine.connect() as conn:
        row = conn.execute(sa.select(networks).where(networks.c.id == network_id)).first()
    if row is None:
        raise NotFound(f"no stored network {network_id}")
    return _stored(row)


def list_networks(engine: sa.Engine) -> list[dict[str, Any]]:
    """Every stored network, newest first: id, built_at, input_sha256, accounts, links."""
    columns = [networks.c[c] for c in ("id", "built_at", "input_sha256", "accounts", "links")]
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(*columns).order_by(networks.c.id.desc()))]
