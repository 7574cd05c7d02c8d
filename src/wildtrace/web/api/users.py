"""Who am I, users and roles (admin only), API tokens, and the audit log (admin only)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from wildtrace.store import accounts as auth
from wildtrace.store.audit import audit_entries
from wildtrace.web.api.models import PasswordRequest, RoleRequest, TokenRequest, UserRequest
from wildtrace.web.deps import Admin, EngineDep, Viewer

router = APIRouter(tags=["users"])


@router.get("/me")
def me(*, who: Viewer) -> dict[str, Any]:
    return {"name": who.name, "role": who.role, "via": who.via}


@router.get("/users")
def users(*, _: Admin, eng: EngineDep) -> dict[str, Any]:
    return {"items": auth.list_users(eng)}


@router.post("/users", status_code=201)
def add_user(*, body: UserRequest, who: Admin, eng: EngineDep) -> dict[str, Any]:
    return auth.add_user(eng, body.name, body.role, body.password, actor=who.name)


@router.put("/users/{name}/role")
def set_role(*, name: str, body: RoleRequest, who: Admin,
             eng: EngineDep) -> dict[str, Any]:
    return auth.set_role(eng, name, body.role, actor=who.name)


@router.post("/users/{name}/disable")
def disable_user(*, name: str, who: Admin, eng: EngineDep) -> dict[str, Any]:
    """Disable a user: no login; their sessions and API tokens are refused at once."""
    return auth.set_disabled(eng, name, True, actor=who.name)


@router.post("/users/{name}/enable")
def enable_user(*, name: str, who: Admin, eng: EngineDep) -> dict[str, Any]:
    return auth.set_disabled(eng, name, False, actor=who.name)


@router.put("/users/{name}/password")
def set_password(*, name: str, body: PasswordRequest, who: Admin, eng: EngineDep) -> dict[str, Any]:
    """A new password for a user; their sessions end at once."""
    return auth.set_password(eng, name, body.password, actor=who.name)


@router.delete("/users/{name}/sessions")
def end_sessions(*, name: str, who: Admin, eng: EngineDep) -> dict[str, Any]:
    """End every session and revoke every API token of a user, at once."""
    return auth.end_sessions(eng, name, actor=who.name)


@router.post("/tokens", status_code=201)
def create_token(*, body: TokenRequest, who: Viewer,
                 eng: EngineDep) -> dict[str, Any]:
    """A new API token for yourself (shown once; it has your role)."""
    token = auth.create_token(eng, who.name, body.label)
    return {"token": token, "id": auth.token_id(token), "user": who.name, "role": who.role}


@router.get("/tokens")
def tokens(*, who: Viewer, eng: EngineDep) -> dict[str, Any]:
    """Your API tokens (admins: everyone's), by id; the tokens themselves are never shown again."""
    return {"items": auth.list_tokens(eng, None if who.role == "admin" else who.name)}


@router.delete("/tokens/{token_id}")
def revoke_token(*, token_id: str, who: Viewer, eng: EngineDep) -> dict[str, Any]:
    """Revoke an API token by id: your own (admins: anyone's). It is refused from then on."""
    return auth.revoke_token(eng, token_id, who.name, any_user=who.role == "admin")


@router.get("/audit")
def audit(*, limit: Annotated[int, Query(ge=1, le=1000)] = 200, target: str | None = None,
          _: Admin, eng: EngineDep) -> dict[str, Any]:
    return {"items": audit_entries(eng, limit=limit, target=target)}
