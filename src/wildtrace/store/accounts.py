"""Accounts: users with roles, argon2 password hashes, cookie sessions, CSRF tokens, API tokens.

- Roles, from most to least: admin (manages users) > analyst (labels, scans, cases) > viewer (reads).
- Sessions: a random token in an HttpOnly, SameSite=Strict cookie; the database keeps only its
  SHA-256, with an expiry. Each session has its own CSRF token, required on every unsafe
  request that a cookie authenticates (form field ``csrf_token`` or header ``X-CSRF-Token``).
- API tokens (``wt_...``) for scripts: ``Authorization: Bearer wt_...``; stored hashed; no CSRF.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import time
import unicodedata
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from wildtrace.errors import AuthError, Invalid, NotFound
from wildtrace.store import db
from wildtrace.store.audit import audit, now
from wildtrace.store.schema import api_tokens, sessions, users

ROLES = ("admin", "analyst", "viewer")
RANK = {"viewer": 0, "analyst": 1, "admin": 2}
SESSION_COOKIE = "wt_session"
LOGIN_CSRF_COOKIE = "wt_login_csrf"
_hasher = PasswordHasher()
#: verified against when the user does not exist, so timing does not tell names apart
_DUMMY_HASH = _hasher.hash("not a password")


@dataclass(frozen=True)
class Principal:
    name: str
    role: str
    via: str  # "session" or "token"
    csrf: str = ""

    def can(self, role: str) -> bool:
        return RANK[self.role] >= RANK[role]


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _stamp(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def validate_name(name: str) -> str:
    name = name.strip()
    if not (1 <= len(name) <= 64) or not all(ch.isalnum() or ch in "._-@" for ch in name):
        raise Invalid("a user name is 1-64 letters, digits or . _ - @")
    return name


#: Shortest accepted password, in characters (a passphrase of three or four words passes).
MIN_PASSWORD = 12


def check_password_policy(password: str, name: str = "") -> None:
    """Raise ``Invalid`` for a password that is too short or long, whitespace only, holds control
    or format characters, repeats fewer than four different characters, or is the user's name."""
    if not MIN_PASSWORD <= len(password) <= 1024:
        raise Invalid(f"a password is {MIN_PASSWORD} to 1,024 characters (a few words make a good one)")
    if not password.strip():
        raise Invalid("a password cannot be only spaces")
    if any(unicodedata.category(ch).startswith("C") for ch in password):
        raise Invalid("a password cannot hold control or invisible format characters")
    if len(set(password.casefold())) < 4:
        raise Invalid("a password needs at least four different characters")
    if name and name.casefold() in password.casefold():
        raise Invalid("a password cannot contain the user name")


def add_user(engine: sa.Engine, name: str, role: str, password: str, *, actor: str = "cli") -> dict[str, Any]:
    name = validate_name(name)
    if role not in ROLES:
        raise Invalid(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    check_password_policy(password, name)
    record = {"name": name, "role": role, "created_at": now()}
    password_hash = _hasher.hash(password)

    def work(conn: sa.Connection) -> None:
        same = conn.execute(sa.select(users.c.name).where(sa.func.lower(users.c.name) == name.lower())).first()
        if same is not None:
            raise Invalid(f"user {name!r} exists" if same.name == name else
                          f"user {same.name!r} exists; names are unique whatever their case")
        conn.execute(users.insert().values(**record, password_hash=password_hash))
        audit(conn, actor, "user.add", f"user:{name}", None, record)

    db.write(engine, work)
    return record


def reset_user(engine: sa.Engine, name: str, role: str, password: str, *, actor: str) -> dict[str, Any]:
    """Remove user ``name`` if present and add it again (the workbench demo's fresh login)."""
    db.write(engine, lambda conn: conn.execute(users.delete().where(users.c.name == name)))
    return add_user(engine, name, role, password, actor=actor)


def set_role(engine: sa.Engine, name: str, role: str, *, actor: str) -> dict[str, Any]:
    if role not in ROLES:
        raise Invalid(f"unknown role {role!r}; use one of {', '.join(ROLES)}")

    def work(conn: sa.Connection) -> None:
        old = conn.execute(sa.select(users.c.role).where(users.c.name == name)).scalar()
        if old is None:
            raise NotFound(f"no user {name!r}")
        conn.execute(users.update().where(users.c.name == name).values(role=role))
        audit(conn, actor, "user.role", f"user:{name}", {"role": old}, {"role": role})

    db.write(engine, work)
    return {"name": name, "role": role}


def list_users(engine: sa.Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(
            sa.select(users.c.name, users.c.role, users.c.created_at, users.c.disabled).order_by(users.c.name))]


def check_password(engine: sa.Engine, name: str, password: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(sa.select(users).where(users.c.name == name, users.c.disabled == 0)).first()
        if row is None:  # names are unique whatever their case: "Alice" logs in as alice
            row = conn.execute(sa.select(users).where(sa.func.lower(users.c.name) == name.lower(),
                                                      users.c.disabled == 0)).first()
    try:
        _hasher.verify(row.password_hash if row else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    return {"name": row.name, "role": row.role} if row else None


def record_login(engine: sa.Engine, name: str, ok: bool, client: str, why: str = "") -> None:
    """One audit entry per login attempt, good or failed (the name as typed, cut to 64)."""
    after = {"client": client[:100], **({"reason": why} if why else {})}
    db.write(engine, lambda conn: audit(conn, name[:64] or "?", "login.ok" if ok else "login.failed",
                                        f"user:{name[:64]}", None, after))


class LoginThrottle:
    """Exponential back-off after repeated failed logins, per account and per client address.

    After ``free`` failures of an account (``client_free`` of a client address, which an office
    may share), each further attempt must wait ``base * 2**(failures - free)`` seconds (at most
    ``cap``) since the last failure; a good login clears the account's count. Held in memory by
    the workbench process; ``clock`` is injectable for tests.
    """

    def __init__(self, free: int = 5, client_free: int = 20, base: float = 1.0, cap: float = 900.0,
                 clock: Any = None) -> None:
        self.free, self.client_free, self.base, self.cap = free, client_free, base, cap
        self.clock = clock or time.monotonic
        self.failures: dict[str, tuple[int, float]] = {}

    def wait(self, *keys: str) -> float:
        """Seconds until these keys may try again (0 when they may now)."""
        now_ = self.clock()
        longest = 0.0
        for key in keys:
            n, last = self.failures.get(key, (0, 0.0))
            free = self.client_free if key.startswith("client:") else self.free
            if n >= free:
                delay = min(self.cap, self.base * 2 ** (n - free))
                longest = max(longest, last + delay - now_)
        return max(0.0, longest)

    def failed(self, *keys: str) -> None:
        now_ = self.clock()
        for key in keys:
            n, _ = self.failures.get(key, (0, 0.0))
            self.failures[key] = (n + 1, now_)
        if len(self.failures) > 100_000:  # bounded memory under a spray of names
            for key in sorted(self.failures, key=lambda k: self.failures[k][1])[:50_000]:
                del self.failures[key]

    def succeeded(self, key: str) -> None:
        self.failures.pop(key, None)


def create_session(engine: sa.Engine, name: str, *, hours: float = 12.0) -> tuple[str, str]:
    """A new session for a user: (cookie token, CSRF token)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    start = dt.datetime.now(dt.UTC)

    def work(conn: sa.Connection) -> None:
        conn.execute(sessions.insert().values(
            token_sha256=_sha(token), user_name=name, csrf_token=csrf, created_at=_stamp(start),
            expires_at=_stamp(start + dt.timedelta(hours=hours))))
        conn.execute(sessions.delete().where(sessions.c.expires_at < _stamp(start)))

    db.write(engine, work)
    return token, csrf


def end_session(engine: sa.Engine, token: str) -> None:
    db.write(engine, lambda conn: conn.execute(sessions.delete().where(sessions.c.token_sha256 == _sha(token))))


def session_principal(engine: sa.Engine, token: str) -> Principal:
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(sessions.c.expires_at, sessions.c.csrf_token, users.c.name, users.c.role)
            .join(users, users.c.name == sessions.c.user_name)
            .where(sessions.c.token_sha256 == _sha(token), users.c.disabled == 0)).first()
    if row is None:
        raise AuthError("login_required", "not logged in (unknown session)")
    if row.expires_at <= _stamp(dt.datetime.now(dt.UTC)):
        raise AuthError("session_expired", "the session has expired; log in again")
    return Principal(row.name, row.role, "session", row.csrf_token)


def create_token(engine: sa.Engine, name: str, label: str = "") -> str:
    token = "wt_" + secrets.token_urlsafe(32)

    def work(conn: sa.Connection) -> None:
        conn.execute(api_tokens.insert().values(token_sha256=_sha(token), user_name=name,
                                                label=label[:200], created_at=now()))
        audit(conn, name, "token.create", f"user:{name}", None, {"label": label[:200]})

    db.write(engine, work)
    return token


#: A token's public id: the start of its SHA-256 (the token itself is never stored or shown again).
TOKEN_ID_CHARS = 16


def token_id(token: str) -> str:
    return _sha(token)[:TOKEN_ID_CHARS]


def list_tokens(engine: sa.Engine, name: str | None = None) -> list[dict[str, Any]]:
    """API tokens (of one user, or all): id, user, label, created_at, revoked_at; newest first."""
    t = api_tokens.c
    stmt = sa.select(t.token_sha256, t.user_name, t.label, t.created_at, t.revoked_at).order_by(
        t.created_at.desc(), t.token_sha256)
    if name is not None:
        stmt = stmt.where(t.user_name == name)
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return [{"id": r.token_sha256[:TOKEN_ID_CHARS], "user": r.user_name, "label": r.label,
             "created_at": r.created_at, "revoked_at": r.revoked_at} for r in rows]


def revoke_token(engine: sa.Engine, token_id: str, actor: str, *, any_user: bool = False) -> dict[str, Any]:
    """Revoke an API token by its id (your own; any user's when ``any_user``). Requests with it
    are refused from then on; revoking it again changes nothing."""
    token_id = token_id.strip().lower()
    if len(token_id) != TOKEN_ID_CHARS or any(ch not in "0123456789abcdef" for ch in token_id):
        raise NotFound(f"no API token {token_id[:40]!r}")
    t = api_tokens.c

    def work(conn: sa.Connection) -> dict[str, Any]:
        stmt = sa.select(t.token_sha256, t.user_name, t.label, t.created_at, t.revoked_at).where(
            t.token_sha256.like(token_id + "%"))
        if not any_user:
            stmt = stmt.where(t.user_name == actor)
        rows = conn.execute(stmt).all()
        if len(rows) != 1:
            raise NotFound(f"no API token {token_id!r}" if not rows else f"token id {token_id!r} is ambiguous")
        row = rows[0]
        revoked_at = row.revoked_at
        if revoked_at is None:
            revoked_at = now()
            conn.execute(api_tokens.update().where(t.token_sha256 == row.token_sha256)
                         .values(revoked_at=revoked_at))
            audit(conn, actor, "token.revoke", f"user:{row.user_name}", {"token": token_id, "revoked_at": None},
                  {"token": token_id, "revoked_at": revoked_at})
        return {"id": token_id, "user": row.user_name, "label": row.label, "created_at": row.created_at,
                "revoked_at": revoked_at}

    return db.write(engine, work)


def token_principal(engine: sa.Engine, token: str) -> Principal:
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(users.c.name, users.c.role).join(api_tokens, api_tokens.c.user_name == users.c.name)
            .where(api_tokens.c.token_sha256 == _sha(token), api_tokens.c.revoked_at.is_(None),
                   users.c.disabled == 0)).first()
    if row is None:
        raise AuthError("bad_token", "unknown or revoked API token")
    return Principal(row.name, row.role, "token")


def csrf_ok(expected: str, given: str | None) -> bool:
    return bool(expected) and bool(given) and secrets.compare_digest(expected, str(given))
