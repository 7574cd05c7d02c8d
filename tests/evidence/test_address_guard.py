"""The address guard and IPv6 addresses that carry an IPv4 one (issue 29, item 9).

Before: NAT64 (``64:ff9b::/96``, ``64:ff9b:1::/48``), 6to4 (``2002::/16``), Teredo (``2001::/32``),
IPv4-mapped and IPv4-compatible addresses were judged as IPv6 addresses only, so one embedding a
loopback, private, link-local or metadata IPv4 address was "public" and reached the internal host
through the translator, directly, by redirect and through ``--from-scan``."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from urllib.parse import quote

import orjson
import pytest
from click.testing import CliRunner

from wildtrace.cli import cli, load_commands
from wildtrace.evidence import net
from wildtrace.evidence.capture import CaptureOptions, Capturer
from wildtrace.evidence.net import FetchFailed, FetchOptions, check_url, fetch

#: (URL, the IPv4 address it carries)
ATTACKS = [
    ("http://[64:ff9b::7f00:1]/", "127.0.0.1"),                      # NAT64 well-known prefix
    ("http://[64:ff9b::a9fe:a9fe]/latest/meta-data/", "169.254.169.254"),
    ("http://[64:ff9b:1::a00:1]/", "10.0.0.1"),                       # NAT64 local-use prefix
    ("http://[2002:7f00:1::]/", "127.0.0.1"),                         # 6to4
    ("http://[2002:a9fe:a9fe::1]/", "169.254.169.254"),
    ("http://[2002:c0a8:101::]/", "192.168.1.1"),
    ("http://[::ffff:127.0.0.1]/", "127.0.0.1"),                      # IPv4-mapped
    ("http://[::ffff:169.254.169.254]/", "169.254.169.254"),
    ("http://[::7f00:1]/", "127.0.0.1"),                              # IPv4-compatible
    ("http://[::a9fe:a9fe]/", "169.254.169.254"),
    ("http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", "127.0.0.1"),  # Teredo: client = ~last 32 bits
]


@pytest.mark.parametrize("url,inner", ATTACKS)
def test_check_url_judges_the_embedded_ipv4_address(url: str, inner: str) -> None:
    why = check_url(url)
    assert why is not None and why.startswith("refused:"), (url, why)
    assert inner in why or "local-use NAT64" in why, (url, why)


@pytest.mark.parametrize("url,inner", ATTACKS)
def test_embedded_ipv4_decodes_each_form(url: str, inner: str) -> None:
    from wildtrace.evidence.net import embedded_ipv4  # new with the fix

    ip = ipaddress.ip_address(url.split("[")[1].split("]")[0])
    decoded = embedded_ipv4(ip)
    assert decoded is not None and str(decoded[1]) == inner, (url, decoded)


def test_public_ipv4_behind_nat64_and_6to4_stays_allowed() -> None:
    assert check_url("http://[64:ff9b::5db8:d822]/") is None  # 93.184.216.34 through NAT64
    assert check_url("http://[2002:5db8:d822::1]/") is None  # 93.184.216.34 through 6to4
    assert check_url("https://[2606:2800:220:1:248:1893:25c8:1946]/") is None


@pytest.mark.parametrize("url,inner", ATTACKS)
def test_a_redirect_to_an_embedded_internal_address_is_refused(marketplace, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
                                                               url: str, inner: str) -> None:
    """The test marketplace is let through (it stands for a public site, as in
    test_every_redirect_hop_is_checked); the guard judges its redirect's target."""
    original = net.checked_address
    monkeypatch.setattr(net, "checked_address",
                        lambda host, port: ("127.0.0.1", None) if host == "127.0.0.1" else original(host, port))
    with pytest.raises(FetchFailed) as info:
        fetch(f"{marketplace.url}/redirect?to={quote(url, safe='')}", FetchOptions(timeout=2.0, follow_offsite=True))
    assert info.value.reason.startswith("refused:"), (url, info.value.reason)
    assert info.value.redirects and info.value.redirects[0]["to"] == url, info.value.redirects


def test_capture_refuses_them_from_a_scan(tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    results.write_bytes(b"".join(
        orjson.dumps({"id": f"L{n}", "verdict": "wildlife_offer", "risk_score": 0.9, "listing": {"id": f"L{n}", "url": url}})
        + b"\n" for n, (url, _) in enumerate(ATTACKS)))
    load_commands()
    r = CliRunner().invoke(cli, ["capture", "--from-scan", str(results), "--evidence-dir", str(tmp_path / "ev"),
                                 "--no-screenshot", "--timeout", "2"])
    assert r.exit_code == 3, r.output
    lines = [orjson.loads(x) for x in r.stdout.splitlines() if x.startswith("{")]
    assert len(lines) == len(ATTACKS)
    assert all(x["status"] == "failed" and x["reason"].startswith("refused:") for x in lines), lines


def test_the_capturer_refuses_them_directly(tmp_path: Path) -> None:
    with Capturer(tmp_path / "ev", CaptureOptions(operator="t", timeout=2, screenshot=False)) as c:
        for url, _ in ATTACKS:
            rec = c.capture(url)
            assert rec.status == "failed" and rec.reason and rec.reason.startswith("refused:"), rec
