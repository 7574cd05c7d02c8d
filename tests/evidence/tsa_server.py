"""A minimal RFC 3161 timestamp authority on 127.0.0.1, for the seal tests.

It answers ``POST`` requests of ``application/timestamp-query`` the way a real TSA does: a
``TimeStampResp`` (``application/timestamp-reply``) holding a CMS ``SignedData`` over a
``TSTInfo`` (the request's message imprint, its nonce, a serial number, the time), signed with an
EC P-256 key whose certificate has the critical extended key usage ``timeStamping``, issued by a
self-signed root the tests give to ``evidence verify`` as the CA file. It is built with
asn1crypto's ``tsp``/``cms`` modules and the ``cryptography`` package, nothing mocked.

Paths choose how it behaves: ``/tsa`` stamps, ``/garbage`` answers 200 with bytes that are not
DER, ``/error`` answers 500, ``/reject`` answers a well-formed ``rejection`` status.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from asn1crypto import algos, cms, core, tsp, x509
from cryptography import x509 as cx509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

POLICY = "1.3.6.1.4.1.99999.1"  # a private-arc policy id; the TSA's own


@dataclass
class Pki:
    root: cx509.Certificate
    leaf: cx509.Certificate
    key: ec.EllipticCurvePrivateKey

    def root_pem(self) -> bytes:
        return self.root.public_bytes(serialization.Encoding.PEM)


def make_pki(name: str = "WildTrace Test TSA") -> Pki:
    """A self-signed root CA and a TSA certificate it issued (EKU timeStamping, critical)."""
    now = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = cx509.Name([cx509.NameAttribute(NameOID.COMMON_NAME, f"{name} Root")])
    root = (cx509.CertificateBuilder().subject_name(root_name).issuer_name(root_name)
            .public_key(root_key.public_key()).serial_number(cx509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(cx509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(cx509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                          data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                          crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(cx509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
            .sign(root_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (cx509.CertificateBuilder()
            .subject_name(cx509.Name([cx509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(root_name).public_key(key.public_key()).serial_number(cx509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(cx509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(cx509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                          data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                          crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(cx509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
            .add_extension(cx509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
                           critical=False)
            .sign(root_key, hashes.SHA256()))
    return Pki(root, leaf, key)


def stamp(request_der: bytes, pki: Pki, serial: int) -> bytes:
    """The DER ``TimeStampResp`` granting ``request_der`` (a ``TimeStampReq``)."""
    req = tsp.TimeStampReq.load(request_der)
    info = {"version": "v1", "policy": POLICY, "message_imprint": req["message_imprint"],
            "serial_number": serial, "gen_time": dt.datetime.now(dt.UTC).replace(microsecond=0),
            "accuracy": {"seconds": 1}}
    if req["nonce"].native is not None:
        info["nonce"] = req["nonce"].native
    tst_info = tsp.TSTInfo(info)
    tst_der = tst_info.dump()
    leaf = x509.Certificate.load(pki.leaf.public_bytes(serialization.Encoding.DER))
    ess = tsp.SigningCertificateV2({"certs": [{"cert_hash": hashlib.sha256(leaf.dump()).digest()}]})
    attrs = cms.CMSAttributes([
        {"type": "content_type", "values": ["tst_info"]},
        {"type": "message_digest", "values": [hashlib.sha256(tst_der).digest()]},
        {"type": "signing_certificate_v2", "values": [ess]},
    ])
    signature = pki.key.sign(attrs.dump(), ec.ECDSA(hashes.SHA256()))
    signer = cms.SignerInfo({
        "version": "v1",
        "sid": cms.SignerIdentifier({"issuer_and_serial_number": {
            "issuer": leaf.issuer, "serial_number": leaf.serial_number}}),
        "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
        "signed_attrs": attrs,
        "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}),
        "signature": signature,
    })
    signed = cms.SignedData({
        "version": "v3",
        "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
        "encap_content_info": {"content_type": "tst_info", "content": core.ParsableOctetString(tst_der)},
        "certificates": [leaf] if req["cert_req"].native else [],
        "signer_infos": [signer],
    })
    token = cms.ContentInfo({"content_type": "signed_data", "content": signed})
    return tsp.TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token}).dump()


class _Refusal(core.Sequence):
    """A ``TimeStampResp`` without a token (asn1crypto's own type requires one)."""

    _fields = [("status", tsp.PKIStatusInfo)]


def rejection() -> bytes:
    return _Refusal({"status": {"status": "rejection", "status_string": ["policy not accepted"],
                                "fail_info": {"unaccepted_policy"}}}).dump()


@dataclass
class Tsa:
    url: str  # http://127.0.0.1:PORT (add /tsa, /garbage, /error or /reject)
    pki: Pki
    requests: list[bytes] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes, ctype: str = "application/timestamp-reply") -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        tsa: Tsa = self.server.tsa  # type: ignore[attr-defined]
        tsa.requests.append(body)
        if self.headers.get("Content-Type") != "application/timestamp-query":
            self._send(400, b"not a timestamp query", "text/plain")
        elif self.path == "/tsa":
            self._send(200, stamp(body, tsa.pki, next(self.server.serials)))  # type: ignore[attr-defined]
        elif self.path == "/garbage":
            self._send(200, b"<html>this is not DER</html>")
        elif self.path == "/reject":
            self._send(200, rejection())
        else:
            self._send(500, b"internal error", "text/plain")


@contextmanager
def serve_tsa(pki: Pki | None = None) -> Iterator[Tsa]:
    """A TSA on 127.0.0.1 while the block runs."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    tsa = Tsa(f"http://127.0.0.1:{server.server_address[1]}", pki or make_pki())
    server.tsa = tsa  # type: ignore[attr-defined]
    server.serials = itertools.count(1)  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield tsa
    finally:
        server.shutdown()
        server.server_close()


def write_root(pki: Pki, path: Path) -> Path:
    path.write_bytes(pki.root_pem())
    return path
