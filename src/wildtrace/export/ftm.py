"""FollowTheMoney entities (JSON Lines) for Aleph / OpenAleph (``alephclient write-entities``).

- ``UserAccount`` per seller account (username, service, phone, email, sourceUrl);
- ``HyperText`` per listing (title, bodyText, sourceUrl, phone/emailMentioned,
  publisher = platform, summary = risk and reasons);
- ``Document`` per captured page (sourceUrl, retrievedAt, fileSize, mimeType; the
  SHA-256 of payload and WARC in ``notes``: FtM's ``contentHash`` is Aleph's SHA-1);
- ``CryptoWallet`` per advertised wallet;
- ``UnknownLink`` for account-listing, account-wallet, listing-capture and
  account-account links (the evidence in ``role`` and ``description``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from wildtrace import __version__
from wildtrace.sellers.identifiers import from_listing
from wildtrace.sellers.network import account_id

if TYPE_CHECKING:
    from wildtrace.cases import Case


def make_id(*parts: str) -> str:
    return "wt-" + hashlib.sha1("\x1f".join(parts).encode()).hexdigest()


def _entity(schema: str, eid: str, **props: Any) -> dict[str, Any]:
    clean = {}
    for key, value in props.items():
        values = value if isinstance(value, list) else [value]
        values = [str(v) for v in values if v not in (None, "")]
        if values:
            clean[key] = list(dict.fromkeys(values))
    return {"id": eid, "schema": schema, "properties": clean}


def _link(subject: str, obj: str, role: str, description: str = "") -> dict[str, Any]:
    return _entity("UnknownLink", make_id("link", subject, obj, role), subject=subject, object=obj,
                   role=role, description=description)


def entities(case: Case) -> Iterator[dict[str, Any]]:
    network = case.network().to_dict()
    acc_ids: dict[str, str] = {}
    wallets: dict[str, str] = {}
    for node in network["nodes"]:
        eid = make_id("account", node["id"])
        acc_ids[node["id"]] = eid
        idents = node["identifiers"]
        yield _entity("UserAccount", eid, username=node["seller"] or node["id"], service=node["platform"],
                      phone=[i["value"] for i in idents if i["kind"] in ("phone", "whatsapp", "zalo")
                             and i["value"].startswith("+")],
                      email=[i["value"] for i in idents if i["kind"] == "email"],
                      sourceUrl=[u for u in node["urls"] if u.startswith(("http://", "https://"))],
                      alias=[f"{i['kind']}:{i['value']}" for i in idents
                             if i["kind"] in ("wechat", "telegram", "line", "qq")],
                      publisher=f"WildTrace {__version__}",
                      summary=f"max risk {node['max_risk']:.2f}; entity {node['entity']}; "
                              f"key-player rank {node['key_player_rank'] or '-'}")
        for ident in idents:
            if ident["kind"] == "wallet":
                currency, _, address = ident["value"].partition(":")
                wid = wallets.get(ident["value"]) or make_id("wallet", ident["value"])
                if ident["value"] not in wallets:
                    wallets[ident["value"]] = wid
                    yield _entity("CryptoWallet", wid, publicKey=address, currency=currency, name=address)
                yield _link(eid, wid, "advertised wallet")
    listing_ids: dict[str, str] = {}
    for result in case.results:
        listing = result.get("listing") or {}
        lid = make_id("listing", str(result.get("id")))
        listing_ids[str(result.get("id"))] = lid
        ocr_text = (result.get("ocr") or {}).get("text")
        idents = from_listing({"id": result.get("id"), **listing}, lang=result.get("lang"),
                              extra_text={"image_text": ocr_text} if ocr_text else None)
        url = listing.get("url")
        yield _entity("HyperText", lid, title=listing.get("title") or f"listing {result.get('id')}",
                      bodyText=listing.get("text"), sourceUrl=url if str(url).startswith("http") else None,
                      publisher=listing.get("platform"),
                      phoneMentioned=[i.value for i in idents if i.kind == "phone"],
                      emailMentioned=[i.value for i in idents if i.kind == "email"],
                      summary=f"{result.get('verdict')} risk {result.get('risk_score')}: "
                              + "; ".join(result.get("reasons") or []),
                      processingAgent=f"WildTrace {__version__}")
        acc = acc_ids.get(account_id({"id": result.get("id"), **listing}))
        if acc:
            yield _link(acc, lid, "posted listing")
    for cap in case.captures:
        cid = make_id("capture", cap["capture_id"])
        hashes = [f"payload SHA-256 {cap.get('payload_sha256')}"] + [
            f"{f['path']} SHA-256 {f['sha256']}" for f in cap.get("files", [])]
        yield _entity("Document", cid, title=f"Capture {cap['capture_id']}", fileName=cap["capture_id"],
                      sourceUrl=cap.get("final_url") or cap.get("url"), retrievedAt=cap.get("captured_at"),
                      fileSize=cap.get("payload_bytes"), mimeType="application/warc",
                      notes=hashes + [f"custody log entry seq {cap.get('seq')} hash {cap.get('entry_hash')}"],
                      processingAgent=cap.get("tool"))
        cap_listing = listing_ids.get(str(cap.get("listing_id")))
        if cap_listing:
            yield _link(cap_listing, cid, "captured as evidence")
    for edge in network["edges"]:
        if edge["judgement"] == "different":
            continue
        desc = "; ".join(e.get("value") or f"{e['type']} distance {e.get('distance')}" for e in edge["evidence"])
        yield _link(acc_ids[edge["a"]], acc_ids[edge["b"]], "linked accounts", desc)


def write(case: Case, path: Path, progress: Callable[[], None] | None = None) -> int:
    n = 0
    with open(path, "wb") as fh:
        for entity in entities(case):
            fh.write(orjson.dumps(entity) + b"\n")
            n += 1
            if progress is not None:
                progress()
    return n
