"""Schemathesis on the workbench's own OpenAPI spec, with an admin token (issue 12): every
operation, 25 generated requests each, and not one 5xx. A separate server and database, so the
generated users, labels and cases touch no other test."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings

from wildtrace import Scanner, Settings
from wildtrace.store import accounts as auth
from wildtrace.web.app import create_app
from wildtrace.web.demo import load_demo

from .conftest import _free_port, running

EXAMPLES = 25


def test_no_generated_request_gets_a_5xx(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    app = create_app(tmp_path / "st.sqlite", settings)
    app.state.scanner = Scanner(settings)
    load_demo(app.state.store, app.state.scanner)
    auth.add_user(app.state.store.engine, "admin", "admin", "correct horse battery", actor="test")
    headers = {"Authorization": f"Bearer {auth.create_token(app.state.store.engine, 'admin', 'st')}"}
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    failures: list[tuple[str, str, int, str]] = []
    statuses: Counter[int] = Counter()
    with running(app, port):
        schema = schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json", headers=headers)
        for result in schema.get_all_operations():
            op = result.ok()

            @given(op.as_strategy())
            @hsettings(max_examples=EXAMPLES, deadline=None, database=None,
                       suppress_health_check=list(HealthCheck))
            def call(case: schemathesis.Case) -> None:
                r = case.call(base_url=base, headers=headers)
                statuses[r.status_code] += 1
                if r.status_code >= 500:
                    failures.append((case.method.upper(), case.path, r.status_code, r.text[:200]))

            call()
    assert failures == []
    assert sum(statuses.values()) > 300 and statuses[200] > 0, statuses
