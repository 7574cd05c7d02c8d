"""One JSON error shape for the whole API, and the HTML error page for the UI.

Every API error is ``{"error": {"status": 404, "code": "not_found", "message": "...",
"details": [...]}}`` (pinned by tests/web/test_errors.py). ``code`` is stable and meant
for scripts; ``message`` is for people; ``details`` lists field problems (may be empty).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from wildtrace.errors import AuthError, Invalid, NotFound, WildTraceError

STATUS_CODES = {400: "bad_request", 401: "login_required", 403: "forbidden", 404: "not_found",
                405: "method_not_allowed", 409: "conflict", 413: "body_too_large",
                415: "unsupported_media_type", 422: "invalid_request", 500: "internal_error"}


class ApiError(WildTraceError):
    """An HTTP error with its status and stable ``code``: the adapter's own member of the family."""

    def __init__(self, status: int, code: str, message: str, details: list[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details or []
        self.headers = headers or {}


def error_body(status: int, code: str, message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"error": {"status": status, "code": code, "message": message, "details": details or []}}


def is_api(request: Request) -> bool:
    """JSON errors for the API, and for a page route the client sent JSON to or asked JSON of
    (``POST /cases/{id}/add`` with a JSON body, a status fragment polled by a script)."""
    if request.url.path.startswith("/api/"):
        return True
    if request.headers.get("content-type", "").split(";")[0].strip().lower() == "application/json":
        return True
    accept = request.headers.get("accept", "").split(",")[0].split(";")[0].strip().lower()
    return accept == "application/json"


def _respond(request: Request, err: ApiError) -> Response:
    if is_api(request):
        headers = {"WWW-Authenticate": "Bearer"} if err.status == 401 else {}
        return JSONResponse(error_body(err.status, err.code, err.message, err.details),
                            status_code=err.status, headers={**headers, **err.headers})
    if err.status == 401:
        target = "/login" + ("?expired=1" if err.code == "session_expired" else "")
        return RedirectResponse(target, status_code=303)
    templates = request.app.state.templates
    return templates.TemplateResponse(request, "error.html", {"err": err}, status_code=err.status,
                                      headers=err.headers or None)


def _validation(exc: RequestValidationError) -> ApiError:
    errors = list(exc.errors())
    kinds = {e.get("type") for e in errors}
    details = [{"loc": [str(p) for p in e.get("loc", ())], "type": e.get("type"), "message": e.get("msg")}
               for e in errors[:50]]
    if "json_invalid" in kinds:
        return ApiError(400, "malformed_json", "the request body is not valid JSON", details)
    if "extra_forbidden" in kinds:
        names = [d["loc"][-1] for d in details if d["type"] == "extra_forbidden"]
        return ApiError(422, "unknown_field", f"unknown field(s): {', '.join(names)}", details)
    return ApiError(422, "invalid_request", "the request does not match the schema", details)


def install(app: FastAPI) -> None:
    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return _respond(request, exc)

    async def auth_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, AuthError)
        return _respond(request, ApiError(401, exc.code, exc.message))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        code = STATUS_CODES.get(exc.status_code, "error")
        return _respond(request, ApiError(exc.status_code, code, str(exc.detail)))

    async def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return _respond(request, _validation(exc))

    async def domain_error(request: Request, exc: Exception) -> Response:
        if isinstance(exc, NotFound):
            return _respond(request, ApiError(404, "not_found", str(exc)))
        if isinstance(exc, Invalid):
            return _respond(request, ApiError(422, "invalid_value", str(exc)))
        return _respond(request, ApiError(400, "bad_request", str(exc)))

    async def crash(request: Request, exc: Exception) -> Response:
        return _respond(request, ApiError(500, "internal_error", "internal error; see the server log"))

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(AuthError, auth_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(WildTraceError, domain_error)
    app.add_exception_handler(Exception, crash)
