"""The Sources pages (/sources, /sources/{source}) and GET /api/v1/sources: a real server on
loopback over a real SQLite store, its crawl state written through ``store.crawl`` as the
monitor writes it. Passes show their counts, dates and states (an open pass, killed or
interrupted, says it resumes on the next run); fetch errors are hostile text, escaped, and a
``javascript:`` or ``data:`` URL never becomes a link; an unknown source is a 404; with no
source the page says how to add one; any logged-in role reads, nobody else."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import closing
from html import unescape
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from wildtrace.store import crawl
from wildtrace.store.schema import crawl_runs

from .conftest import Server
from .test_errors import assert_error
from .test_trade_api import _running

EVIL_REASON = "<script>alert('reason')</script> HTTP 500"
EVIL_ERRORS = [
    {"url": "javascript:alert(1)", "reason": EVIL_REASON},
    {"url": "JaVaScRiPt:alert(2)", "reason": "timeout"},
    {"url": "data:text/html,<script>alert(3)</script>", "reason": "refused by robots.txt"},
    {"url": 'https://market.example/item/9?x="><img src=x onerror=alert(4)>', "reason": "HTTP 503"},
]
SHA = "0" * 64


def _times(engine: sa.Engine, run_id: str, started: str, finished: str | None) -> None:
    """Give a pass fixed times (two passes started in one second would tie; dates are asserted)."""
    with engine.begin() as conn:
        conn.execute(crawl_runs.update().where(crawl_runs.c.run_id == run_id)
                     .values(started_at=started, finished_at=finished))


def seed_sources(engine: sa.Engine) -> dict[str, str]:
    """Three sources as the monitor leaves them: ``grid-market`` (a finished pass, then an
    interrupted one with hostile errors; one listing gone), ``killed-shop`` (a pass a killed
    process left running) and ``failed-site`` (a failed pass). Returns the pass ids."""
    first, resumed = crawl.start_run(engine, "grid-market", SHA)
    assert not resumed
    for key in ("101", "102", "103"):
        crawl.record(engine, "grid-market", f"/item/{key}", canonical_url=f"https://market.example/item/{key}",
                     content_sha256=key * 10, status=200, kind="listing", listing_id=f"grid-market:{key}",
                     run_id=first)
    crawl.save_run(engine, first, {"pages": 5, "listings": 3, "new": 3, "captured": 1}, [],
                   state="finished", finished=True)
    _times(engine, first, "2026-03-01T10:00:00Z", "2026-03-01T10:20:00Z")
    second, resumed = crawl.start_run(engine, "grid-market", SHA)
    assert not resumed and second != first
    crawl.mark_gone(engine, "grid-market", "/item/103", status=404, run_id=second)
    crawl.save_run(engine, second, {"pages": 4, "listings": 2, "new": 0, "changed": 1, "unchanged": 1, "gone": 1,
                                    "duplicates": 2, "captured": 0, "refused": 1, "errors": 4},
                   EVIL_ERRORS, state="interrupted")
    _times(engine, second, "2026-03-02T11:30:00Z", None)
    killed, _ = crawl.start_run(engine, "killed-shop", SHA)
    crawl.save_run(engine, killed, {"pages": 1, "new": 7}, [])  # then the process was killed
    _times(engine, killed, "2026-03-03T08:00:00Z", None)
    failed, _ = crawl.start_run(engine, "failed-site", SHA)
    crawl.save_run(engine, failed, {"errors": 1}, [{"url": "https://failed.example/", "reason": "DNS"}],
                   state="failed", finished=True)
    _times(engine, failed, "2026-03-04T09:00:00Z", "2026-03-04T09:01:00Z")
    return {"first": first, "second": second, "killed": killed, "failed": failed}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict[str, str]]]:
    with _running(tmp_path_factory.mktemp("sources"), None) as server:
        yield server, seed_sources(server.engine)


@pytest.fixture(scope="module")
def viewer(seeded: tuple[Server, dict[str, str]]) -> Iterator[httpx.Client]:
    client, _ = seeded[0].login("viewer")
    yield client
    client.close()


def _page(client: httpx.Client, path: str) -> str:
    r = client.get(path)
    assert r.status_code == 200, (path, r.status_code, r.text[:500])
    assert r.headers["content-type"].startswith("text/html")
    return r.text


def _row(html: str, cls: str, key: str, value: str) -> str:
    found = re.search(rf'<tr class="{cls}" {key}="{re.escape(value)}">(.*?)</tr>', html, flags=re.S)
    assert found, (value, html[:2000])
    return found.group(1)


def _cell(row: str, name: str) -> str:
    found = re.search(rf'<td class="num c-{name}">(.*?)</td>', row, flags=re.S)
    assert found, (name, row)
    return found.group(1).strip()


def _hrefs(html: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'href="([^"]*)"', html)]


def _no_live_hostile_links(html: str) -> None:
    main = html.split('<main id="main"', 1)[1]  # the head's favicon is href="data:,"
    for href in _hrefs(main):
        assert not href.strip().lower().startswith(("javascript:", "data:", "vbscript:")), href
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "onerror=alert" not in html.replace("onerror=alert(4)&gt;", "")  # only inside escaped text


def test_sources_page_shows_each_sources_last_pass(viewer: httpx.Client) -> None:
    html = _page(viewer, "/sources")
    assert '<a href="/sources" aria-current="page">Sources</a>' in html  # in the navigation
    names = re.findall(r'<tr class="source-row" data-source="([^"]+)">', html)
    assert names == ["failed-site", "grid-market", "killed-shop"]
    grid = _row(html, "source-row", "data-source", "grid-market")
    expected = {"new": "0", "changed": "1", "gone": "1", "duplicates": "2", "captured": "0", "refused": "1",
                "errors": "4"}
    assert {k: _cell(grid, k) for k in expected} == expected
    assert _cell(grid, "live").startswith("2") and "(1 gone)" in _cell(grid, "live")
    assert '<time datetime="2026-03-02T11:30:00Z">2026-03-02 11:30 UTC</time>' in grid
    assert "not yet" in grid  # the open pass has not finished
    assert "2 passes" in grid and 'href="/sources/grid-market"' in grid
    assert 'href="/?platform=grid-market&amp;sort=first_seen"' in grid  # its listings in the queue
    assert _cell(_row(html, "source-row", "data-source", "killed-shop"), "new") == "7"
    failed = _row(html, "source-row", "data-source", "failed-site")
    assert ">failed</span>" in failed and "resumes" not in failed
    assert '<time datetime="2026-03-04T09:01:00Z">2026-03-04 09:01 UTC</time>' in failed


def test_open_passes_say_they_resume_on_the_next_run(viewer: httpx.Client) -> None:
    html = _page(viewer, "/sources")
    grid = _row(html, "source-row", "data-source", "grid-market")
    assert '>interrupted</span> <span class="small resume-note">resumes on the next run</span>' in grid
    killed = _row(html, "source-row", "data-source", "killed-shop")
    assert ('>running</span> <span class="small resume-note">(or stopped before it finished): '
            'resumes on the next run</span>') in killed


def test_errors_are_escaped_and_only_http_urls_are_links(viewer: httpx.Client) -> None:
    for path in ("/sources", "/sources/grid-market"):
        html = _page(viewer, path)
        _no_live_hostile_links(html)
        assert "&lt;script&gt;alert(&#39;reason&#39;)&lt;/script&gt; HTTP 500" in html, path
        assert "javascript:alert(1)" in html and "JaVaScRiPt:alert(2)" in html, path  # shown as text
        assert "data:text/html,&lt;script&gt;alert(3)&lt;/script&gt;" in html, path
        https = 'https://market.example/item/9?x=&#34;&gt;&lt;img src=x onerror=alert(4)&gt;'
        assert f'href="{https}" rel="nofollow noopener noreferrer"' in html, path
        links = [h for h in _hrefs(html) if "market.example/item/9" in h]
        assert links == [EVIL_ERRORS[3]["url"]], links
    overview = _page(viewer, "/sources")
    errors = overview.split("<h2>Last errors</h2>", 1)[1]
    order = [errors.index(x) for x in ("market.example/item/9", "data:text/html", "JaVaScRiPt", "javascript:alert(1)")]
    assert order == sorted(order)  # newest first
    assert "failed.example" in errors and "DNS" in errors


def test_source_page_lists_passes_newest_first(viewer: httpx.Client, seeded: tuple[Server, dict[str, str]]) -> None:
    runs = seeded[1]
    html = _page(viewer, "/sources/grid-market")
    ids = re.findall(r'<tr class="pass-row" data-run="([^"]+)">', html)
    assert ids == [runs["second"], runs["first"]]
    first = _row(html, "pass-row", "data-run", runs["first"])
    assert {k: _cell(first, k) for k in ("pages", "listings", "new", "captured", "errors")} == \
        {"pages": "5", "listings": "3", "new": "3", "captured": "1", "errors": "0"}
    assert "2026-03-01 10:00 UTC" in first and "2026-03-01 10:20 UTC" in first and "resumes" not in first
    second = _row(html, "pass-row", "data-run", runs["second"])
    assert _cell(second, "unchanged") == "1" and ">interrupted</span>" in second and "resumes on the next run" in second
    assert "2 live listings, 1 gone" in html
    assert 'href="/?platform=grid-market&amp;sort=first_seen"' in html
    killed = _page(viewer, "/sources/killed-shop")
    assert "No errors in these passes." in killed and "resumes on the next run" in killed


def test_unknown_source_is_a_404_page(viewer: httpx.Client, seeded: tuple[Server, dict[str, str]]) -> None:
    r = viewer.get("/sources/no-such-source")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert 'data-code="not_found"' in r.text and "no-such-source" in r.text
    r = viewer.get("/sources/%3Cimg%20src=x%20onerror=alert(9)%3E")
    assert r.status_code == 404 and "<img src=x" not in r.text and "&lt;img src=x onerror=alert(9)&gt;" in r.text
    with seeded[0].api("viewer") as api:
        assert_error(api.get("/api/v1/sources/no-such-source"), 404, "not_found")


def test_api_gives_the_same_data(seeded: tuple[Server, dict[str, str]]) -> None:
    server, runs = seeded
    with server.api("viewer") as api:
        r = api.get("/api/v1/sources")
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
        items: list[dict[str, Any]] = r.json()["items"]
        assert [i["source"] for i in items] == ["failed-site", "grid-market", "killed-shop"]
        grid = items[1]
        assert set(grid) == {"run_id", "source", "source_sha256", "state", "resumes", "started_at", "finished_at",
                             "counts", "errors", "passes", "listings_live", "listings_gone", "queue"}
        assert grid["run_id"] == runs["second"] and grid["state"] == "interrupted" and grid["resumes"] is True
        assert grid["started_at"] == "2026-03-02T11:30:00Z" and grid["finished_at"] is None
        assert grid["counts"] == {"pages": 4, "listings": 2, "new": 0, "changed": 1, "unchanged": 1, "gone": 1,
                                  "duplicates": 2, "captured": 0, "refused": 1, "errors": 4}
        assert grid["errors"] == EVIL_ERRORS  # raw in JSON: the pages escape it
        assert (grid["passes"], grid["listings_live"], grid["listings_gone"]) == (2, 2, 1)
        assert grid["queue"] == "/?platform=grid-market&sort=first_seen"
        assert items[0]["resumes"] is False and items[0]["counts"]["errors"] == 1
        assert items[2]["state"] == "running" and items[2]["resumes"] is True and items[2]["counts"]["new"] == 7
        one = api.get("/api/v1/sources/grid-market").json()
        assert one["source"] == "grid-market" and one["last"] == grid
        assert [p["run_id"] for p in one["passes"]] == [runs["second"], runs["first"]]
        assert one["passes"][1]["resumes"] is False and one["passes"][1]["finished_at"] == "2026-03-01T10:20:00Z"


def test_every_role_reads_and_nobody_else(seeded: tuple[Server, dict[str, str]]) -> None:
    server = seeded[0]
    for role in ("viewer", "analyst", "admin"):
        with server.api(role) as api:
            assert api.get("/api/v1/sources").status_code == 200, role
    with httpx.Client(base_url=server.url, timeout=30) as anonymous:
        assert_error(anonymous.get("/api/v1/sources"), 401, "login_required")
        r = anonymous.get("/sources", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login"
        r = anonymous.get("/sources/grid-market", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login"


def test_no_source_yet_says_how_to_add_one(tmp_path: Path) -> None:
    with _running(tmp_path, None) as server:
        client, _ = server.login("viewer")
        with closing(client):
            html = _page(client, "/sources")
        assert "No source has been monitored yet." in html and "wildtrace monitor run SOURCE.yaml" in html
        assert 'class="source-row"' not in html
        with server.api("viewer") as api:
            assert api.get("/api/v1/sources").json() == {"items": []}


def test_queue_link_finds_the_sources_listings(seeded: tuple[Server, dict[str, str]], viewer: httpx.Client) -> None:
    """A listing the monitor stored (platform: the source's name, the default) is in the queue
    the Sources page links to; another platform's is not."""
    server = seeded[0]
    records = [{"id": "grid-market:101", "platform": "grid-market", "title": "Carved ivory bangle, real elephant",
                "url": "https://market.example/item/101", "posted_at": "2026-03-01"},
               {"id": "other:1", "platform": "other", "title": "Ivory tusk for sale", "posted_at": "2026-03-01"}]
    with server.api("analyst") as api:
        r = api.post("/api/v1/scan", json={"listings": records})
        assert r.status_code == 200, r.text[:500]
    link = next(i["queue"] for i in viewer.get("/api/v1/sources").json()["items"] if i["source"] == "grid-market")
    html = _page(viewer, link)
    assert "grid-market:101" in html and "other:1" not in html
