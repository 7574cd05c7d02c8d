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
import ipaddress
import secrets
import time
import unicodedata
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from wildtrace import clock
from wildtrace.errors import AuthError, Invalid, NotFound
from wildtrace.store import db
from wildtrace.store.audit import audit, now
from wildtrace.store.schema import api_tokens, login_attempts, sessions, users

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


def _user_name(conn: sa.Connection, name: str) -> str:
    """The stored name of user ``name`` (names are unique whatever their case), or NotFound."""
    found = conn.execute(sa.select(users.c.name).where(users.c.name == name)).scalar()
    if found is None:
        found = conn.execute(sa.select(users.c.name).where(sa.func.lower(users.c.name) == name.lower())).scalar()
    if found is None:
        raise NotFound(f"no user {name!r}")
    return str(found)


def _end_all(conn: sa.Connection, name: str, *, tokens: bool) -> dict[str, int]:
    """Delete the user's sessions (and revoke their API tokens): refused from the next request."""
    ended = conn.execute(sessions.delete().where(sessions.c.user_name == name)).rowcount
    revoked = 0
    if tokens:
        revoked = conn.execute(api_tokens.update().where(api_tokens.c.user_name == name,
                                                         api_tokens.c.revoked_at.is_(None))
                               .values(revoked_at=now())).rowcount
    return {"sessions": int(ended or 0), "tokens": int(revoked or 0)}


def set_disabled(engine: sa.Engine, name: str, disabled: bool, *, actor: str) -> dict[str, Any]:
    """Disable a user (no login; their sessions end and their API tokens are refused at once)
    or enable them again (their tokens that were not revoked work again)."""
    def work(conn: sa.Connection) -> dict[str, Any]:
        who = _user_name(conn, name)
        old = int(conn.execute(sa.select(users.c.disabled).where(users.c.name == who)).scalar_one())
        conn.execute(users.update().where(users.c.name == who).values(disabled=int(disabled)))
        ended = _end_all(conn, who, tokens=False) if disabled else {}
        audit(conn, actor, "user.disable" if disabled else "user.enable", f"user:{who}",
              {"disabled": bool(old)}, {"disabled": disabled, **ended})
        return {"name": who, "disabled": disabled}

    return db.write(engine, work)


def set_password(engine: sa.Engine, name: str, password: str, *, actor: str) -> dict[str, Any]:
    """A new password (the policy of ``add_user``); the user's sessions end at once."""
    def work(conn: sa.Connection) -> dict[str, Any]:
        who = _user_name(conn, name)
        check_password_policy(password, who)
        conn.execute(users.update().where(users.c.name == who).values(password_hash=_hasher.hash(password)))
        ended = _end_all(conn, who, tokens=False)
        audit(conn, actor, "user.password", f"user:{who}", None, ended)
        return {"name": who, **ended}

    return db.write(engine, work)


def end_sessions(engine: sa.Engine, name: str, *, actor: str) -> dict[str, Any]:
    """End every session of a user and revoke every API token of theirs, at once."""
    def work(conn: sa.Connection) -> dict[str, Any]:
        who = _user_name(conn, name)
        ended = _end_all(conn, who, tokens=True)
        audit(conn, actor, "user.sessions_end", f"user:{who}", None, ended)
        return {"name": who, **ended}

    return db.write(engine, work)


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


def _client_bucket(client: str) -> str:
    """An IPv6 client counts by its /64 (one machine may hold the whole /64); others as given."""
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return client[:100]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


class LoginThrottle:
    """Exponential back-off after failed logins, per client address and per (account, client
    address), counted in the database (table ``login_attempts``) so that simultaneous attempts
    and several workbench processes share one count.

    ``begin`` counts the attempt against both keys *before* the password is checked, in one
    write transaction (rows locked), so N simultaneous attempts get at most ``free`` password
    checks. After ``free`` failures of an account from one client (``client_free`` of a client
    address, which an office may share), each further attempt must wait ``base * 2**(failures
    - free)`` seconds (at most ``cap``) since the last counted one. ``succeeded`` clears the
    (account, client) count and gives the client its attempt back. There is no hard lock, and
    the back-off is never account-wide: an attacker hammering an account from one address
    does not stop its owner logging in from another. ``clock`` (seconds) is injectable for tests.
    """

    def __init__(self, free: int = 5, client_free: int = 20, base: float = 1.0, cap: float = 900.0,
                 clock: Any = None) -> None:
        self.free, self.client_free, self.base, self.cap = free, client_free, base, cap
        self.clock = clock or time.time
        self._begun = 0

    @staticmethod
    def keys(name: str, client: str) -> tuple[str, str]:
        """The (account, client) key and the client key of a login attempt."""
        bucket = _client_bucket(client)
        return f"user:{name.strip().lower()[:64]}|{bucket}", f"client:{bucket}"

    def _delay(self, key: str, failures: int) -> float:
        free = self.client_free if key.startswith("client:") else self.free
        return 0.0 if failures < free else min(self.cap, self.base * 2 ** min(failures - free, 40))

    def begin(self, engine: sa.Engine, *keys: str) -> float:
        """Count one attempt against every key, atomically: 0.0 when it may go on (counted as a
        failure until ``succeeded``), else the seconds to wait (and nothing is counted)."""
        now_ = float(self.clock())
        table, c = login_attempts, login_attempts.c
        insert = (sqlite_insert if engine.dialect.name == "sqlite" else pg_insert)(table)
        self._begun += 1
        prune = self._begun % 1000 == 0

        def work(conn: sa.Connection) -> float:
            for key in sorted(keys):  # the insert takes the write lock first (SQLite), in one order
                conn.execute(insert.values(key=key, failures=0, last_at=0.0)
                             .on_conflict_do_nothing(index_elements=["key"]))
            rows = conn.execute(sa.select(c.key, c.failures, c.last_at).where(c.key.in_(keys))
                                .order_by(c.key).with_for_update()).all()
            wait = max((r.last_at + self._delay(r.key, r.failures) - now_ for r in rows), default=0.0)
            if wait > 0:
                return wait
            conn.execute(table.update().where(c.key.in_(keys)).values(failures=c.failures + 1, last_at=now_))
            if prune:  # a day after its last attempt a key starts afresh (bounded under a spray)
                conn.execute(table.delete().where(c.last_at < now_ - max(86_400.0, 2 * self.cap)))
            return 0.0

        return db.write(engine, work)

    def succeeded(self, engine: sa.Engine, account_key: str, client_key: str) -> None:
        c = login_attempts.c

        def work(conn: sa.Connection) -> None:
            conn.execute(login_attempts.delete().where(c.key == account_key))
            conn.execute(login_attempts.update().where(c.key == client_key, c.failures > 0)
                         .values(failures=c.failures - 1))

        db.write(engine, work)

    def clear(self, engine: sa.Engine) -> None:
        """Forget every count (tests; an administrator after an incident)."""
        db.write(engine, lambda conn: conn.execute(login_attempts.delete()))


def create_session(engine: sa.Engine, name: str, *, hours: float = 12.0) -> tuple[str, str]:
    """A new session for a user: (cookie token, CSRF token)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    start = clock.now()

    def work(conn: sa.Connection) -> None:
        conn.execute(sessions.insert().values(
            token_sha256=_sha(token), user_name=name, csrf_token=csrf, created_at=_stamp(start),
            expires_at=_stamp(start + dt.timedelta(hours=hours))))
        conn.execute(sessions.delete().where(sessions.c.expires_at < _stamp(start)))

    db.write(engine, work)
    return token, csrf


def end_session(engine: sa.Engine, token: str) -> None:
    db.write(engine, lambda conn: conn.execute(sessions.delete().where(sessions.c.token_sha256 == _sha(token))))


def session_lookup(engine: sa.Engine, token: str) -> tuple[Principal, str]:
    """The session's principal and when it expires (a UTC stamp), whether or not it has expired;
    ``AuthError`` if no such session of an enabled user exists."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(sessions.c.expires_at, sessions.c.csrf_token, users.c.name, users.c.role)
            .join(users, users.c.name == sessions.c.user_name)
            .where(sessions.c.token_sha256 == _sha(token), users.c.disabled == 0)).first()
    if row is None:
        raise AuthError("login_required", "not logged in (unknown session)")
    return Principal(row.name, row.role, "session", row.csrf_token), str(row.expires_at)


def session_expired(expires_at: str) -> bool:
    return expires_at <= _stamp(clock.now())


def session_principal(engine: sa.Engine, token: str) -> Principal:
    who, expires_at = session_lookup(engine, token)
    if session_expired(expires_at):
        raise AuthError("session_expired", "the session has expired; log in again")
    return who


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
