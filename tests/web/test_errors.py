"""One JSON error shape everywhere, and a clear 4xx for each kind of bad request,
with nothing written half-way."""

from __future__ import annotations

from typing import Any

import httpx
import sqlalchemy as sa

from wildtrace.store.schema import labels, sessions

from .conftest import Server


def assert_error(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, (r.status_code, r.text[:500])
    assert r.headers["content-type"].startswith("application/json"), r.headers
    body = r.json()
    assert list(body) == ["error"], body
    assert sorted(body["error"]) == ["code", "details", "message", "status"], body
    err = body["error"]
    assert err["status"] == status and err["code"] == code, body
    assert isinstance(err["message"], str) and err["message"], body
    assert isinstance(err["details"], list), body
    return err  # type: ignore[no-any-return]


def _label_count(server: Server) -> int:
    with server.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(labels)).scalar_one())


def test_the_error_shape_is_pinned(server: Server) -> None:
    anon = httpx.Client(base_url=server.url)
    err = assert_error(anon.get("/api/v1/queue"), 401, "login_required")
    assert err == {"status": 401, "code": "login_required",
                   "message": "log in first (session cookie or API token)", "details": []}
    with server.api("viewer") as c:
        assert_error(c.get("/api/v1/listings/no-such-id"), 404, "not_found")
        assert_error(c.get("/api/v1/nowhere"), 404, "not_found")
        assert_error(c.delete("/api/v1/queue"), 405, "method_not_allowed")
        assert_error(c.get("/api/v1/queue", params={"limit": 0}), 422, "invalid_request")
        assert_error(c.get("/api/v1/queue", params={"cursor": "{bad"}), 422, "invalid_value")
    assert_error(httpx.get(server.url + "/api/v1/me", headers={"Authorization": "Bearer wt_nope"}),
                 401, "bad_token")


def test_nothing_but_login_and_health_is_served_without_login(server: Server) -> None:
    anon = httpx.Client(base_url=server.url)
    assert anon.get("/healthz").json()["status"] == "ok"
    assert anon.get("/login").status_code == 200
    for path in ("/", "/listing?id=d01", "/search?q=x", "/dashboard", "/seller?name=x", "/admin/users"):
        r = anon.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/login"), path
    for path in ("/api/v1/openapi.json", "/api/v1/stats", "/api/v1/export", "/api/v1/search?q=x"):
        assert_error(anon.get(path), 401, "login_required")


def test_bad_requests_get_a_clear_4xx_and_write_nothing(server: Server) -> None:
    before = _label_count(server)
    with server.api("analyst") as c:
        assert_error(c.post("/api/v1/labels", content=b"{not json",
                            headers={"Content-Type": "application/json"}), 400, "malformed_json")
        err = assert_error(c.post("/api/v1/labels", json={"listing_id": "d01", "label": "unsure", "colour": 1}),
                           422, "unknown_field")
        assert "colour" in err["message"]
        assert_error(c.post("/api/v1/labels", content=b"listing_id=d01&label=unsure",
                            headers={"Content-Type": "application/x-www-form-urlencoded"}),
                     415, "unsupported_media_type")
        assert_error(c.post("/api/v1/labels", json={"listing_id": "d01", "label": "guilty"}),
                     422, "invalid_value")
        # bulk: one unknown id -> nothing labelled at all
        assert_error(c.post("/api/v1/labels/bulk", json={"listing_ids": ["d01", "d02", "nope"], "label": "unsure"}),
                     404, "not_found")
        # oversized bodies, declared and streamed (chunked, no Content-Length)
        big = b'{"listings": [{"id": "x", "title": "' + b"a" * 3_100_000 + b'"}]}'
        assert_error(c.post("/api/v1/scan", content=big, headers={"Content-Type": "application/json"}),
                     413, "body_too_large")

        def chunks():  # type: ignore[no-untyped-def]
            for _ in range(40):
                yield b"a" * 100_000

        assert_error(c.post("/api/v1/scan", content=chunks(), headers={"Content-Type": "application/json"}),
                     413, "body_too_large")
        count = c.get("/api/v1/queue", params={"limit": 500}).json()["items"]
    assert _label_count(server) == before, "a refused request wrote a label"
    assert "x" not in {row["listing_id"] for row in count}


def test_missing_csrf_token_and_expired_session(server: Server) -> None:
    client, csrf = server.login("analyst")
    before = _label_count(server)
    body = {"listing_id": "d03", "label": "unsure"}
    assert_error(client.post("/api/v1/labels", json=body), 403, "csrf_failed")
    assert_error(client.post("/api/v1/labels", json=body, headers={"X-CSRF-Token": "forged"}), 403, "csrf_failed")
    r = client.post("/label", data=body)  # the HTML form without its token
    assert r.status_code == 403 and "csrf_failed" in r.text
    assert _label_count(server) == before
    assert client.post("/api/v1/labels", json=body, headers={"X-CSRF-Token": csrf}).status_code == 201
    with server.engine.begin() as conn:
        conn.execute(sa.update(sessions).values(expires_at="2000-01-01T00:00:00Z"))
    assert_error(client.get("/api/v1/me"), 401, "session_expired")
    r = client.get("/")
    assert r.status_code == 303 and r.headers["location"] == "/login?expired=1"
    # a login form posted without its CSRF token is refused too
    assert client.post("/login", data={"name": "analyst", "password": "x"}).status_code == 403


def test_security_headers(server: Server) -> None:
    r = httpx.get(server.url + "/login")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


def test_hostile_records_in_a_scan_batch_are_answered_per_record(server: Server) -> None:
    """Before: a record nested 255 levels deep, an integer >= 2**64 in a field or as the id made
    the whole batch answer 500 (issue 12, finding 1)."""
    deep = "[" * 255 + "]" * 255
    body = ('{"save": false, "listings": [{"id": "ok-1", "title": "rhino horn for sale"}, '
            '{"id": "deep", "x": ' + deep + '}, {"id": "bigint", "x": ' + str(2**64) + '}, '
            '{"id": ' + str(2**64) + ', "title": "x"}, {"id": "ok-2", "title": "ivory bangle"}]}')
    with server.api("analyst") as c:
        r = c.post("/api/v1/scan", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 200, r.text[:500]
    out = r.json()
    assert [x["id"] for x in out["results"]] == ["ok-1", "ok-2"]
    assert [(x["index"], x["id"]) for x in out["rejects"]] == [(1, "deep"), (2, "bigint"), (3, None)]
    assert "nested deeper" in out["rejects"][0]["reason"]
    assert "digits" in out["rejects"][1]["reason"] and "digits" in out["rejects"][2]["reason"]


def test_odd_query_and_path_values_get_4xx_not_500(server: Server) -> None:
    """Before: a NUL in a search (FTS "unterminated string") and a case number past 64 bits
    (OverflowError) answered 500; an export limit past 64 bits answered 200 with a cut body."""
    with server.api("viewer") as c:
        r = c.get("/api/v1/search", params={"q": "ab\x00c"})
        assert r.status_code == 200 and r.json()["items"] == [], r.text[:300]
        assert c.get("/api/v1/search", params={"q": "rhi\x00no"}).status_code == 200
        assert_error(c.get("/api/v1/cases/99999999999999999999"), 422, "invalid_request")
        assert_error(c.get("/api/v1/export", params={"limit": "99999999999999999999"}), 422, "invalid_request")


def test_password_policy_and_case_insensitive_names(server: Server) -> None:
    """Before: "password", "aaaaaaaa", eight spaces and eight NULs were accepted; "Admin" could be
    created beside "admin"."""
    with server.api("admin") as c:
        for bad in ("password", "aaaaaaaaaaaaaaaa", " " * 16, "\x00" * 16, "short one", "abcabcabcabc",
                    "zz-viewer-zz-secret"):
            r = c.post("/api/v1/users", json={"name": "zz-viewer", "role": "viewer", "password": bad})
            assert_error(r, 422, "invalid_value")
        assert_error(c.post("/api/v1/users", json={"name": "Admin", "role": "admin",
                                                   "password": "cedar lantern river"}), 422, "invalid_value")


def test_failed_logins_are_throttled_and_every_login_is_audited(server: Server) -> None:
    """Before: no throttling, no lockout, logins not audited."""
    from wildtrace.store.audit import audit_entries

    throttle = server.app.state.login_throttle
    clock = [1000.0]
    saved = throttle.clock
    throttle.clear(server.engine)  # the counts are in the database now: start from none
    throttle.clock = lambda: clock[0]
    try:
        client = httpx.Client(base_url=server.url)
        page = client.get("/login")
        import re
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]

        def attempt(password: str) -> httpx.Response:
            return client.post("/login", data={"name": "viewer", "password": password, "csrf_token": csrf})

        assert [attempt("wrong guess").status_code for _ in range(5)] == [401] * 5
        blocked = attempt("correct horse battery")  # even the right password waits
        assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) >= 1
        clock[0] += 1.5  # past the first back-off (1 s)
        assert attempt("wrong guess").status_code == 401
        assert attempt("correct horse battery").status_code == 429  # now 2 s
        clock[0] += 2.5
        assert attempt("correct horse battery").status_code == 303
        actions = [a["action"] for a in audit_entries(server.engine, target="user:viewer", limit=20)]
        assert actions[0] == "login.ok" and actions.count("login.failed") >= 8
    finally:
        throttle.clock = saved
        throttle.clear(server.engine)
