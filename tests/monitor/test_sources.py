"""Source files: the three required fields are enough, every mistake is one line naming the file and
the field, {term} start URLs come from the project's own search terms, cookies and headers files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from wildtrace.errors import ConfigError
from wildtrace.monitor.sources import load, load_all
from wildtrace.monitor.terms import search_terms

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "sources"


def _write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_three_fields_are_enough_and_the_defaults_are_polite(tmp_path: Path) -> None:
    s = load(_write(tmp_path, "name: m\nstart_urls: [https://market.example/list]\nallow: ['/item/\\d+']\n"))
    assert s.allowed_domains == ("market.example",) and s.robots and s.rate.concurrency == 1
    assert s.rate.delay >= 1 and s.rate.autothrottle and s.javascript is None and s.platform == "m"
    assert s.kind == "marketplace", "a monitored source's listings are offers by their form unless it says"
    news = load(_write(tmp_path, "name: n\nkind: news\nstart_urls: [https://n.example/]\nallow: [x]\n", "n.yaml"))
    assert news.kind == "news"
    assert s.is_listing("https://market.example/item/12") and not s.is_listing("https://market.example/list")
    assert len(s.sha256) == 64


@pytest.mark.parametrize("text, words", [
    ("start_urls: [https://a.example/]\nallow: [x]\n", "'name' is required"),
    ("name: m\nallow: [x]\n", "'start_urls' is required"),
    ("name: m\nstart_urls: [https://a.example/]\n", "'allow' is required"),
    ("name: m\nstart_urls: [ftp://a.example/]\nallow: [x]\n", "not an http(s) URL"),
    ("name: m\nstart_urls: [https://a.example/]\nallow: ['(']\n", "is not a regex"),
    ("name: m\nstart_urls: [https://a.example/]\nallow: [x]\nrate: {delay: -1}\n", "'rate.delay'"),
    ("name: m\nstart_urls: [https://a.example/]\nallow: [x]\nschedule: {every: 5s}\n", "at least a minute"),
    ("name: m\nstart_urls: [https://a.example/]\nallow: [x]\nalow: [y]\n", "unknown field(s) alow"),
    ("name: m\nkind: blog\nstart_urls: [https://a.example/]\nallow: [x]\n", "'kind' must be one of marketplace"),
    ("name: m\nstart_urls: ['https://a.example/?q={term}']\nallow: [x]\n", "gives no 'terms'"),
    ("name: ../../etc\nstart_urls: [https://a.example/]\nallow: [x]\n", "'name' is required"),
    ("name: m\nstart_urls: [https://a.example/]\nallow: [x]\nlisting_key: '/item/\\d+'\n", "must have a group"),
    ("name: m\nstart_urls: [https://a.example/]\nallow: [x]\ncookies_file: nope.json\n", "cannot read"),
    ("name: [\n", "not valid YAML (line"),
    ("name: m\nstart_urls: [https://a.example/]\nallow: [x]\nrobots: 'false'\n", "'robots' must be true or false"),
    ("name: m\nstart_urls: [https://a.example/]\nallow: [x]\nextract: {price: 'css:::::'}\n", "not a valid selector"),
    ("name: m\nstart_urls: [https://a.example/]\nallow: [x]\nextract: {prize: 'css:.p'}\n", "unknown field 'prize'"),
])
def test_each_mistake_is_one_line_naming_the_file_and_field(tmp_path: Path, text: str, words: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as exc:
        load(path)
    assert str(path) in str(exc.value) and words in str(exc.value) and "\n" not in str(exc.value)


def test_search_urls_come_from_the_projects_terms_in_each_language(tmp_path: Path) -> None:
    s = load(_write(tmp_path, "name: m\nstart_urls: ['https://a.example/s?q={term}']\nallow: [x]\n"
                              "terms: {languages: [en, zh, vi], limit: 3}\n"))
    assert len(s.start_urls) == len(s.terms) and len(s.terms) >= 6
    assert any("%E" in u for u in s.start_urls)  # Chinese and Vietnamese terms, percent-encoded
    assert set(s.terms) == set(search_terms(["en", "zh", "vi"], 3))
    with pytest.raises(ConfigError, match="unknown language"):
        load(_write(tmp_path, "name: m\nstart_urls: ['https://a.example/s?q={term}']\nallow: [x]\n"
                              "terms: {languages: [xx]}\n", "bad.yaml"))


def test_cookies_and_headers_files_in_json_yaml_or_cookies_txt(tmp_path: Path) -> None:
    (tmp_path / "c.txt").write_text("# Netscape HTTP Cookie File\n.a.example\tTRUE\t/\tFALSE\t0\tsession\tabc123\n")
    (tmp_path / "h.yaml").write_text("Accept-Language: vi\nX-Job: night\n")
    s = load(_write(tmp_path, "name: m\nstart_urls: [https://a.example/]\nallow: [x]\n"
                              "cookies_file: c.txt\nheaders_file: h.yaml\n"))
    assert s.cookies == {"session": "abc123"} and s.headers == {"Accept-Language": "vi", "X-Job": "night"}
    (tmp_path / "bad.json").write_text('{"X-Evil": "a\\r\\nHost: 169.254.169.254"}')
    with pytest.raises(ConfigError, match="line break"):
        load(_write(tmp_path, "name: m\nstart_urls: [https://a.example/]\nallow: [x]\nheaders_file: bad.json\n",
                    "h2.yaml"))


def test_two_sources_with_one_name_are_refused(tmp_path: Path) -> None:
    a = _write(tmp_path, "name: m\nstart_urls: [https://a.example/]\nallow: [x]\n", "a.yaml")
    b = _write(tmp_path, "name: m\nstart_urls: [https://b.example/]\nallow: [x]\n", "b.yaml")
    with pytest.raises(ConfigError, match="also the name"):
        load_all([a, b])


def test_the_shipped_examples_load() -> None:
    sources = load_all(sorted(EXAMPLES.glob("*.yaml")))
    assert {s.name for s in sources} >= {"demo-grid", "demo-shop", "demo-feed"}
    assert any(s.javascript is not None for s in sources) and any(s.extract for s in sources)


def test_a_users_mistake_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = _write(tmp_path, "name: m\nstart_urls: [https://a.example/]\n")
    env = {**os.environ, "WILDTRACE_DATA_DIR": str(tmp_path / "data")}
    for args in (["monitor", "run", str(bad)], ["monitor", "run", str(tmp_path / "missing.yaml")],
                 ["monitor", "run", str(EXAMPLES / "grid.yaml"), "--allow-origin", "not-an-origin"]):
        r = subprocess.run([sys.executable, "-m", "wildtrace.cli", *args], env=env, capture_output=True, text=True,
                           timeout=120, check=False)
        assert r.returncode == 2 and "Traceback" not in r.stderr, (args, r.stderr)
        assert len([ln for ln in r.stderr.splitlines() if ln.strip()]) <= 2, r.stderr
