"""The dashboard's token: generated when it binds beyond loopback, required on every request.

A request carries it as ``?token=`` (the page then gets it as a cookie, so the
EventSource and the images need nothing more) or as ``Authorization: Bearer TOKEN``;
anything else gets 401.  Comparisons are constant-time.

Examples
--------
>>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
(True, True, False)
>>> len(new_token()) >= 32
True
"""

from __future__ import annotations

import ipaddress
import secrets
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs

__all__ = ["COOKIE", "TokenGate", "is_loopback", "new_token"]

#: The cookie that carries the token after ``?token=``.
COOKIE = "hi_station_token"

_Scope = dict[str, Any]


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or ``localhost``) is this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def new_token() -> str:
    """Return a fresh random token (URL-safe text)."""
    return secrets.token_urlsafe(24)


def _header(scope: _Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return ""


class TokenGate:
    """ASGI middleware: every HTTP request must carry ``token`` (401 otherwise)."""

    def __init__(self, app: Any, token: str) -> None:
        self.app = app
        self.token = token

    def _ok(self, given: str | None) -> bool:
        return bool(given) and secrets.compare_digest(str(given).encode(), self.token.encode())

    async def __call__(self, scope: _Scope, receive: Any, send: Any) -> None:  # noqa: D102
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = parse_qs(bytes(scope.get("query_string", b"")).decode("latin-1"))
        if self._ok(query.get("token", [""])[0]):
            cookie = f"{COOKIE}={self.token}; HttpOnly; SameSite=Strict; Path=/"

            async def send_with_cookie(message: dict[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    headers = list(message.get("headers", []))
                    headers.append((b"set-cookie", cookie.encode()))
                    message = {**message, "headers": headers}
                await send(message)

            await self.app(scope, receive, send_with_cookie)
            return
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(_header(scope, b"cookie"))
        except Exception:  # a malformed Cookie header is no token
            jar.clear()
        auth = _header(scope, b"authorization")
        bearer = auth[7:].strip() if auth[:7].lower() == "bearer " else None
        if self._ok(jar[COOKIE].value if COOKIE in jar else None) or self._ok(bearer):
            await self.app(scope, receive, send)
            return
        body = b"401: this dashboard needs its token (?token=... or Authorization: Bearer)\n"
        await send({"type": "http.response.start", "status": 401,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                (b"content-length", str(len(body)).encode()),
                                (b"www-authenticate", b"Bearer")]})  # fmt: skip
        await send({"type": "http.response.body", "body": body})
