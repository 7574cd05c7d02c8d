"""The JSON API on both backends: scan, queue, listing, labels, search, export, cases, users."""

from __future__ import annotations

import csv
import io
import uuid

import httpx
import orjson

from wildtrace.scan.writers import CSV_COLUMNS

from .conftest import Server
from .test_errors import assert_error


def test_scan_a_batch_then_fetch_results(server: Server) -> None:
    uid = uuid.uuid4().hex[:8]
    batch = {"listings": [
        {"id": f"s-{uid}", "title": "Genuine rhino horn, WhatsApp me", "seller": f"seller-{uid}",
         "platform": "testplat", "posted_at": "2026-10-01"},
        {"id": f"t-{uid}", "title": "Tiger plush toy", "seller": f"seller-{uid}"},
        {"title": "no id"},
    ]}
    with server.api("analyst") as c:
        r = c.post("/api/v1/scan", json=batch)
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["scanned"], body["rejected"]) == (2, 1)
        assert body["rejects"] == [{"index": 2, "id": None, "reason": "missing id"}]
        assert body["results"][0]["verdict"] == "wildlife_offer"
        detail = c.get(f"/api/v1/listings/s-{uid}").json()
        assert detail["result"]["input_sha256"] == body["results"][0]["input_sha256"]
        assert [v["version"] for v in detail["versions"]] == [1]
        # a changed listing is a new version; the detail shows both
        batch["listings"][0]["price"] = "99"
        c.post("/api/v1/scan", json={"listings": batch["listings"][:1]})
        detail = c.get(f"/api/v1/listings/s-{uid}").json()
        assert [v["version"] for v in detail["versions"]] == [1, 2]
        seller = c.get(f"/api/v1/sellers/seller-{uid}").json()
        assert [i["listing_id"] for i in seller["items"]] == [f"s-{uid}", f"t-{uid}"]
    with server.api("viewer") as c:
        assert_error(c.post("/api/v1/scan", json=batch), 403, "forbidden")


def test_queue_is_sorted_by_risk_filtered_and_paged(server: Server) -> None:
    with server.api("viewer") as c:
        items = c.get("/api/v1/queue", params={"limit": 500}).json()["items"]
        risks = [i["risk_score"] for i in items]
        assert risks == sorted(risks, reverse=True) and len(items) >= 35
        page1 = c.get("/api/v1/queue", params={"limit": 10}).json()
        page2 = c.get("/api/v1/queue", params={"limit": 10, "cursor": page1["next"]}).json()
        assert [i["listing_id"] for i in page1["items"] + page2["items"]] == [i["listing_id"] for i in items[:20]]
        for params, check in [
            ({"verdict": "not_wildlife"}, lambda i: i["verdict"] == "not_wildlife"),
            ({"platform": "wechat"}, lambda i: i["platform"] == "wechat"),
            ({"lang": "zh"}, lambda i: i["lang"] == "zh"),
            ({"appendix": "I"}, lambda i: "|I|" in i["appendices"]),
            ({"species": "Rhinocerotidae"}, lambda i: "|Rhinocerotidae|" in i["species"]),
            ({"posted_from": "2026-11-09", "posted_to": "2026-11-10"},
             lambda i: "2026-11-09" <= i["posted_at"][:10] <= "2026-11-10"),
        ]:
            found = c.get("/api/v1/queue", params={**params, "limit": 500}).json()["items"]
            assert found, params
            assert all(check(i) for i in found), (params, found)
            assert len(found) < len(items), params
        product = items[0]["products"].strip("|").split("|")[0]
        found = c.get("/api/v1/queue", params={"product": product, "limit": 500}).json()["items"]
        assert found and all(f"|{product}|" in i["products"] for i in found)


def test_labels_are_append_only_audited_and_role_checked(server: Server) -> None:
    with server.api("viewer") as c:
        assert_error(c.post("/api/v1/labels", json={"listing_id": "d05", "label": "unsure"}), 403, "forbidden")
    with server.api("analyst") as c:
        first = c.post("/api/v1/labels", json={"listing_id": "d05", "label": "wildlife_offer", "note": "n1"})
        assert first.status_code == 201, first.text
        second = c.post("/api/v1/labels", json={"listing_id": "d05", "label": "not_wildlife"})
        assert second.json()["author"] == "analyst"
        history = c.get("/api/v1/labels/d05").json()["items"]
        assert [h["label"] for h in history][-2:] == ["wildlife_offer", "not_wildlife"], "both kept"
        assert c.get("/api/v1/queue", params={"label": "not_wildlife", "limit": 500}).json()["items"][0]["listing_id"]
        unlabelled = c.get("/api/v1/queue", params={"label": "unlabelled", "limit": 500}).json()["items"]
        assert "d05" not in {i["listing_id"] for i in unlabelled}
        bulk = c.post("/api/v1/labels/bulk", json={"listing_ids": ["d06", "d07"], "label": "unsure"})
        assert bulk.status_code == 201 and len(bulk.json()["items"]) == 2
        assert_error(c.get("/api/v1/audit"), 403, "forbidden")
    with server.api("admin") as c:
        audit = c.get("/api/v1/audit", params={"target": "d05"}).json()["items"]
        newest = audit[0]
        assert newest["actor"] == "analyst" and newest["action"] == "label"
        assert newest["before"] == {"label": "wildlife_offer"}
        assert newest["after"]["label"] == "not_wildlife"
        assert newest["at"].endswith("Z")


def test_users_and_tokens(server: Server) -> None:
    name = "u" + uuid.uuid4().hex[:6]
    with server.api("analyst") as c:
        assert_error(c.post("/api/v1/users", json={"name": name, "role": "admin", "password": "cedar lantern river"}),
                     403, "forbidden")
        assert_error(c.get("/api/v1/users"), 403, "forbidden")
        token = c.post("/api/v1/tokens", json={"label": "script"}).json()
        assert token["token"].startswith("wt_") and token["role"] == "analyst"
        mine = {t["id"]: t for t in c.get("/api/v1/tokens").json()["items"]}
        assert mine[token["id"]]["label"] == "script" and mine[token["id"]]["revoked_at"] is None
        assert token["token"] not in orjson.dumps(mine).decode()
        assert {t["user"] for t in mine.values()} == {"analyst"}, "analysts see only their own tokens"
    with server.api("viewer") as c:
        assert_error(c.delete(f"/api/v1/tokens/{token['id']}"), 404, "not_found")  # not theirs
        assert_error(c.delete("/api/v1/tokens/zz'--"), 404, "not_found")
    script = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token['token']}"}, timeout=30)
    with script:
        assert script.get("/api/v1/me").json()["name"] == "analyst"
        revoked = script.delete(f"/api/v1/tokens/{token['id']}")  # a token can revoke itself
        assert revoked.status_code == 200 and revoked.json()["revoked_at"], revoked.text
        assert_error(script.get("/api/v1/me"), 401, "bad_token")
    with server.api("analyst") as c:
        again = c.delete(f"/api/v1/tokens/{token['id']}").json()
        assert again["revoked_at"] == revoked.json()["revoked_at"], "revoking again changes nothing"
        second = c.post("/api/v1/tokens", json={"label": "cron"}).json()
    with server.api("admin") as c:
        assert {t["user"] for t in c.get("/api/v1/tokens").json()["items"]} >= {"analyst", "admin"}
        assert c.delete(f"/api/v1/tokens/{second['id']}").json()["user"] == "analyst"
        audit = c.get("/api/v1/audit", params={"target": "user:analyst"}).json()["items"]
        assert [a["actor"] for a in audit if a["action"] == "token.revoke"][:2] == ["admin", "analyst"]
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {second['token']}"}) as c:
        assert_error(c.get("/api/v1/queue"), 401, "bad_token")
    with server.api("admin") as c:
        r = c.post("/api/v1/users", json={"name": name, "role": "viewer", "password": "cedar lantern river"})
        assert r.status_code == 201, r.text
        assert_error(c.post("/api/v1/users", json={"name": name, "role": "viewer", "password": "cedar lantern river"}),
                     422, "invalid_value")
        assert c.put(f"/api/v1/users/{name}/role", json={"role": "analyst"}).json()["role"] == "analyst"
        users = {u["name"]: u["role"] for u in c.get("/api/v1/users").json()["items"]}
        assert users[name] == "analyst"
        audit = c.get("/api/v1/audit", params={"target": f"user:{name}"}).json()["items"]
        assert [a["action"] for a in audit] == ["user.role", "user.add"]
        assert audit[0]["before"] == {"role": "viewer"} and audit[0]["after"] == {"role": "analyst"}
        assert "password" not in orjson.dumps(audit).decode()


def test_search_finds_chinese_and_thai_substrings(server: Server) -> None:
    with server.api("viewer") as c:
        for text, expected in [("犀角", "d03"), ("犀角 杯", "d03"), ("งาช้าง", "th-ivory"), ("นอแรด", "d09"),
                               ("RHINO HORN PIECES", "d01"), ("100%", "d01")]:
            ids = [i["listing_id"] for i in c.get("/api/v1/search", params={"q": text}).json()["items"]]
            assert expected in ids, (text, ids)
        ids = [i["listing_id"] for i in c.get("/api/v1/search", params={"q": "%"}).json()["items"]]
        assert "d02" not in ids, "LIKE wildcards are escaped"
        assert c.get("/api/v1/search", params={"q": "zzqqxx-nothing"}).json()["items"] == []
        assert c.get("/api/v1/search", params={"q": '"; DROP TABLE queue; --'}).status_code == 200


def test_export_jsonl_and_csv(server: Server) -> None:
    with server.api("viewer") as c:
        r = c.get("/api/v1/export", params={"verdict": "wildlife_offer"})
        records = [orjson.loads(line) for line in r.content.splitlines()]
        assert records and all(x["verdict"] == "wildlife_offer" for x in records)
        assert {"id", "risk_score", "reasons", "model", "input_sha256", "label"} <= set(records[0])
        rows = list(csv.DictReader(io.StringIO(c.get("/api/v1/export", params={"format": "csv"}).text)))
        assert len(rows) >= 35
        assert tuple(rows[0]) == CSV_COLUMNS, "one CSV layout: the workbench export is scan --format csv"
        evil = next(row for row in rows if row["id"] == "evil-url")
        assert evil["listing_title"].startswith("Pangolin")
        assert_error(c.get("/api/v1/export", params={"format": "xml"}), 422, "invalid_request")


def test_cases(server: Server) -> None:
    with server.api("analyst") as c:
        case = c.post("/api/v1/cases", json={"title": "Hanoi horn ring"}).json()
        got = c.post(f"/api/v1/cases/{case['id']}/listings", json={"listing_id": "d01"}).json()
        assert [m["listing_id"] for m in got["listings"]] == ["d01"]
        assert_error(c.post(f"/api/v1/cases/{case['id']}/listings", json={"listing_id": "nope"}), 404, "not_found")
        assert case["id"] in {x["id"] for x in c.get("/api/v1/cases").json()["items"]}


def test_openapi_schema_documents_the_api(server: Server) -> None:
    with server.api("viewer") as c:
        schema = c.get("/api/v1/openapi.json").json()
    for path in ("/api/v1/scan", "/api/v1/queue", "/api/v1/labels", "/api/v1/search", "/api/v1/export",
                 "/api/v1/cases", "/api/v1/users"):
        assert path in schema["paths"], path


def test_a_nul_in_one_record_rejects_that_record_and_keeps_the_batch(server: Server) -> None:
    """Issue 29, item 8: an id holding NUL gave HTTP 500 on PostgreSQL and stored nothing of the batch."""
    uid = uuid.uuid4().hex[:8]
    batch = {"listings": [{"id": f"n1-{uid}", "title": "Pangolin scales 1 kg"},
                          {"id": f"n2-{uid}\u0000", "title": "Rhino horn"},
                          {"id": f"n3-{uid}", "title": "Ivory bangle", "shop": {"note": "a\u0000b"}},
                          {"id": f"n4-{uid}", "title": "Tiger claw"}]}
    with server.api("analyst") as c:
        r = c.post("/api/v1/scan", json=batch)
        assert r.status_code == 200, r.text
        body = r.json()
        assert [x["index"] for x in body["rejects"]] == [1, 2] and all("NUL" in x["reason"] for x in body["rejects"])
        assert [x["id"] for x in body["results"]] == [f"n1-{uid}", f"n4-{uid}"]
        for kept in (f"n1-{uid}", f"n4-{uid}"):
            assert c.get(f"/api/v1/listings/{kept}").status_code == 200
