"""RFC 3161 timestamps: a timestamp authority (TSA) vouches that a message existed at a time.

- ``request_timestamp(message, url, ...)``: ask the TSA at ``url`` to stamp ``message`` (its
  SHA-256); returns a :class:`Stamp` holding the token (a DER CMS ``ContentInfo``, what ``openssl ts
  -verify -token_in`` reads) or raises :class:`TimestampFailed` with the reason. rfc3161-client
  builds the request (with a nonce, asking for the TSA's certificate) and parses the answer; the
  answer must grant, carry our nonce and our hash, and be signed by the certificate it carries.
  The request is one ``POST`` of ``application/timestamp-query`` through the guarded HTTP client
  (``evidence.net``): loopback, private and metadata addresses are refused unless allowed (a TSA
  URL is configuration, but the same rules keep a typo or a planted setting off the inside), no
  redirect is followed, one deadline covers the exchange and the answer is capped in size.
- ``check_token(token, message, ca_file)``: what a token proves, re-checked from scratch: its
  message imprint is the hash of ``message``; its CMS signature verifies with the TSA certificate
  it carries (signed attributes, message digest, the key); that certificate has the critical
  extended key usage ``timeStamping``; and, with ``ca_file`` (PEM roots and intermediates), that
  the certificate chains to one of them at the stamped time (rfc3161-client's verifier). Without a
  CA file the chain is not checked, and the result says so.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from asn1crypto import cms, tsp
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from rfc3161_client import (
    HashAlgorithm,
    PKIStatus,
    TimestampRequestBuilder,
    TimeStampResponse,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

from wildtrace.errors import InvalidRecord
from wildtrace.evidence.net import Fetcher, FetchOptions, allowed_origins, check_url

QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"
MAX_REPLY = 1_000_000  # a token is a few kilobytes; a TSA answering more is not one
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512, "sha1": hashes.SHA1}
_IMPRINT_OIDS = {"2.16.840.1.101.3.4.2.1": "sha256", "2.16.840.1.101.3.4.2.2": "sha384",
                 "2.16.840.1.101.3.4.2.3": "sha512"}


class TimestampFailed(InvalidRecord):
    """The TSA could not stamp (refused address, unreachable, an error, not a timestamp): why."""


@dataclass(frozen=True)
class Stamp:
    token: bytes  # DER CMS ContentInfo (SignedData over TSTInfo)
    gen_time: str  # ISO 8601 UTC, the TSA's time
    serial_number: str  # the token's serial, hex (may exceed 64 bits)
    tsa: str  # the TSA certificate's subject (RFC 4514)
    policy: str  # the TSA policy OID
    hash_algorithm: str = "sha256"


@dataclass
class TokenCheck:
    """What ``check_token`` found: ``problems`` (empty when it holds) and plain ``notes``."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    gen_time: dt.datetime | None = None
    tsa: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def request_timestamp(message: bytes, url: str, *, allow_private: bool = False,
                      allow_origins: frozenset[str] = frozenset(), timeout: float = 20.0,
                      max_bytes: int = MAX_REPLY, ca_file: Path | None = None) -> Stamp:
    """A TSA's token over SHA-256(``message``) (see the module); raises ``TimestampFailed``. With
    ``ca_file`` the token must also chain to a certificate in it."""
    origins = allowed_origins(allow_origins)
    why = check_url(url, allow_private, origins)
    if why is not None:
        raise TimestampFailed(f"timestamp authority {url}: {why}")
    request = (TimestampRequestBuilder().data(message).hash_algorithm(HashAlgorithm.SHA256)
               .nonce(nonce=True).cert_request(cert_request=True).build())
    options = FetchOptions(timeout=timeout, max_bytes=max_bytes, allow_private=allow_private,
                           allow_origins=origins, content_types=None)
    body = _post(url, request.as_bytes(), options)
    try:
        response = decode_timestamp_response(body)
    except ValueError as exc:
        raise TimestampFailed(f"timestamp authority {url} answered something that is not a timestamp "
                              f"response ({len(body):,} bytes; {exc})") from None
    if response.status not in (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS):
        said = "; ".join(response.status_string) or "no reason given"
        raise TimestampFailed(f"timestamp authority {url} refused: status {response.status} ({said})")
    token = response.time_stamp_token()
    info = response.tst_info
    if info.nonce != request.nonce:
        raise TimestampFailed(f"timestamp authority {url} answered with another nonce: not an answer to this request")
    check = check_token(token, message, ca_file)
    if not check.ok:
        raise TimestampFailed(f"timestamp authority {url} answered a token that does not hold: "
                              + "; ".join(check.problems))
    return Stamp(token=token, gen_time=_iso(info.gen_time), serial_number=format(info.serial_number, "x"),
                 tsa=check.tsa or "", policy=info.policy.dotted_string)


def _post(url: str, data: bytes, options: FetchOptions) -> bytes:
    """POST ``data`` as a timestamp query through the guarded client; the answer's body (HTTP 200)."""
    deadline = time.monotonic() + options.timeout
    try:
        with Fetcher(options) as fetcher:
            request = fetcher.client.build_request(
                "POST", url, content=data, headers={"Content-Type": QUERY_TYPE, "Accept": REPLY_TYPE})
            response = fetcher.client.send(request, stream=True)
            try:
                if response.status_code != 200:
                    raise TimestampFailed(f"timestamp authority {url} answered HTTP {response.status_code}")
                length = response.headers.get("content-length", "")
                if length.isdigit() and int(length) > options.max_bytes:
                    raise TimestampFailed(f"timestamp authority {url} answered over the size cap "
                                          f"({int(length):,} > {options.max_bytes:,} bytes)")
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_raw():
                    size += len(chunk)
                    if size > options.max_bytes:
                        raise TimestampFailed(f"timestamp authority {url} answered over the size cap "
                                              f"(more than {options.max_bytes:,} bytes)")
                    if time.monotonic() > deadline:
                        raise httpx.ReadTimeout("the answer's total time is up")
                    chunks.append(chunk)
                return b"".join(chunks)
            finally:
                response.close()
    except httpx.TimeoutException:
        raise TimestampFailed(f"timestamp authority {url}: no answer within {options.timeout:g} s") from None
    except httpx.ConnectError as exc:
        text = str(exc) if str(exc).startswith(("refused:", "unreachable:")) else f"unreachable: {exc}"
        raise TimestampFailed(f"timestamp authority {url}: {text}") from None
    except httpx.HTTPError as exc:
        raise TimestampFailed(f"timestamp authority {url}: {type(exc).__name__}: {exc}") from None


def _iso(moment: dt.datetime) -> str:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _response_of(token: bytes) -> TimeStampResponse:
    """The token wrapped as a granted ``TimeStampResp`` (what rfc3161-client reads)."""
    wrapped = tsp.TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": cms.ContentInfo.load(token)})
    return decode_timestamp_response(wrapped.dump())


def check_token(token: bytes, message: bytes, ca_file: Path | None = None) -> TokenCheck:
    """Re-check a token over ``message`` (see the module)."""
    out = TokenCheck()
    try:
        response = _response_of(token)
        info = response.tst_info
    except (ValueError, TypeError, KeyError) as exc:
        out.problems.append(f"the token is not a readable RFC 3161 token ({type(exc).__name__}: {exc})")
        return out
    out.gen_time = info.gen_time if info.gen_time.tzinfo else info.gen_time.replace(tzinfo=dt.UTC)
    algorithm = _IMPRINT_OIDS.get(info.message_imprint.hash_algorithm.dotted_string)
    if algorithm is None:
        out.problems.append(f"the token's hash algorithm {info.message_imprint.hash_algorithm.dotted_string} "
                            "is not SHA-2")
    elif info.message_imprint.message != hashlib.new(algorithm, message).digest():
        out.problems.append("the token's message imprint does not match: it stamps something other than this "
                            "seal's signature")
    leaf = _check_cms(token, out)
    if leaf is None:
        return out
    out.tsa = leaf.subject.rfc4514_string()
    _check_eku(leaf, out)
    if ca_file is None:
        out.notes.append("TSA certificate chain not checked (no TSA CA file: WILDTRACE_TSA_CA_FILE or --tsa-ca-file)")
    elif out.ok:
        _check_chain(response, message, ca_file, out)
    return out


def _check_cms(token: bytes, out: TokenCheck) -> x509.Certificate | None:
    """Check the CMS signature with the certificate the token carries; that certificate, or None."""
    try:
        signed = cms.ContentInfo.load(token)["content"]
        encap = signed["encap_content_info"]
        content = encap["content"].contents
        signers = signed["signer_infos"]
        if len(signers) != 1:
            out.problems.append(f"the token has {len(signers)} signers, not one")
            return None
        signer = signers[0]
        sid = signer["sid"].chosen
        leaf_asn1 = None
        for choice in signed["certificates"] or []:
            cert = choice.chosen
            if isinstance(sid, cms.IssuerAndSerialNumber) and cert.issuer == sid["issuer"] and \
                    cert.serial_number == sid["serial_number"].native:
                leaf_asn1 = cert
            elif isinstance(sid, cms.SubjectKeyIdentifier) and cert.key_identifier == sid.native:  # pragma: no cover
                leaf_asn1 = cert
        if leaf_asn1 is None:
            out.problems.append("the token does not carry the TSA's certificate: its signature cannot be checked")
            return None
        leaf = x509.load_der_x509_certificate(leaf_asn1.dump())
        digest_name = signer["digest_algorithm"]["algorithm"].native
        attrs = signer["signed_attrs"]
        if encap["content_type"].native != "tst_info" or not attrs:
            out.problems.append("the token is not a signed TSTInfo")
            return None
        found = {attr["type"].native: attr["values"][0].native for attr in attrs}
        if found.get("content_type") != "tst_info":
            out.problems.append("the token's signed content type is not TSTInfo")
        if found.get("message_digest") != hashlib.new(digest_name, content).digest():
            out.problems.append("the token's content was changed after the TSA signed it (message digest "
                                "mismatch)")
        signed_bytes = b"\x31" + attrs.dump()[1:]  # the SET OF, as signed (RFC 5652 5.4)
        _verify(leaf, signer["signature"].native, signed_bytes, signer["signature_algorithm"], digest_name)
    except InvalidSignature:
        out.problems.append("the TSA's signature on the token does not verify: the token was changed")
        return None
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        out.problems.append(f"the token's signature cannot be read ({type(exc).__name__}: {exc})")
        return None
    return leaf


def _verify(leaf: x509.Certificate, signature: bytes, data: bytes, algorithm: cms.SignedDigestAlgorithm,
            digest_name: str) -> None:
    """Verify ``signature`` over ``data`` with the certificate's key; raises InvalidSignature."""
    key = leaf.public_key()
    name = algorithm.signature_algo
    try:
        hash_name = algorithm.hash_algo if name != "rsassa_pss" else digest_name
    except ValueError:  # a bare rsassa_pkcs1v15 / ecdsa OID: the signer's digest algorithm says
        hash_name = digest_name
    chosen = _HASHES[hash_name]()
    if isinstance(key, rsa.RSAPublicKey) and name == "rsassa_pss":
        params = algorithm["parameters"]
        mgf_hash = _HASHES[params["mask_gen_algorithm"]["parameters"]["algorithm"].native]()
        chosen = _HASHES[params["hash_algorithm"]["algorithm"].native]()
        key.verify(signature, data, padding.PSS(padding.MGF1(mgf_hash), params["salt_length"].native), chosen)
    elif isinstance(key, rsa.RSAPublicKey):
        key.verify(signature, data, padding.PKCS1v15(), chosen)
    elif isinstance(key, ec.EllipticCurvePublicKey):
        key.verify(signature, data, ec.ECDSA(chosen))
    elif isinstance(key, ed25519.Ed25519PublicKey):
        key.verify(signature, data)
    else:
        raise ValueError(f"unsupported TSA key type {type(key).__name__}")


def _check_eku(leaf: x509.Certificate, out: TokenCheck) -> None:
    try:
        eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    except x509.ExtensionNotFound:
        out.problems.append("the TSA certificate has no extended key usage: it is not a timestamping certificate")
        return
    if not eku.critical or x509.ExtendedKeyUsageOID.TIME_STAMPING not in eku.value:
        out.problems.append("the TSA certificate's extended key usage is not a critical timeStamping "
                            "(RFC 3161 2.3)")


def _check_chain(response: TimeStampResponse, message: bytes, ca_file: Path, out: TokenCheck) -> None:
    """The TSA certificate chains to a root in ``ca_file`` (at the stamped time)."""
    try:
        certs = x509.load_pem_x509_certificates(Path(ca_file).read_bytes())
    except (OSError, ValueError) as exc:
        out.problems.append(f"the TSA CA file {ca_file} cannot be read ({exc})")
        return
    roots = [c for c in certs if c.subject == c.issuer]
    if not roots:
        out.problems.append(f"the TSA CA file {ca_file} holds no self-signed root certificate")
        return
    builder = VerifierBuilder()
    for cert in roots:
        builder = builder.add_root_certificate(cert)
    for cert in certs:
        if cert.subject != cert.issuer:
            builder = builder.add_intermediate_certificate(cert)
    try:
        builder.build().verify_message(response, message)
    except VerificationError as exc:
        out.problems.append(f"the TSA certificate does not chain to the TSA CA file {ca_file} ({exc})")
        return
    out.notes.append(f"TSA certificate chain verified against {ca_file}")


__all__ = ["MAX_REPLY", "Stamp", "TimestampFailed", "TokenCheck", "check_token", "request_timestamp"]
