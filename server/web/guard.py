"""Who may talk to the lab: the Origin a browser page must come from, and the Host a request must name.

A page on another site must not drive a student's lab through her browser (cross-site websocket),
and a name that resolves to 127.0.0.1 must not make a loopback server answer another site's page
(DNS rebinding: `Host: evil.example` with `Origin: http://evil.example`). So:

- Origin (websocket): allowed when it is one of `--allowed-origin`, or the lab's own address:
  http:// + the configured host and port (for a loopback host: 127.0.0.1, localhost and [::1]);
  a server bound to every interface (0.0.0.0, ::) cannot list its names, so there the Origin must
  be http:// + the request's own Host. No Origin (a script, not a browser): allowed.
- Host (every HTTP request and websocket) when bound to loopback: one of the loopback names with
  the configured port (any port when it is 0), or the host of an `--allowed-origin`.
`*` among the allowed origins switches both checks off.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Any
from urllib.parse import urlsplit

from server.settings import Settings

log = logging.getLogger(__name__)

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
WILDCARD_HOSTS = ("0.0.0.0", "::", "")


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def split_netloc(netloc: str) -> tuple[str, int | None] | None:
    """("127.0.0.1", 8000) for "127.0.0.1:8000", ("::1", None) for "[::1]"; None when malformed."""
    try:
        parts = urlsplit("//" + netloc)
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    return (host.lower(), port) if host else None


class Guard:
    """The Origin and Host rules of one server (see the module docstring)."""

    def __init__(self, settings: Settings):
        self.any = "*" in settings.allowed_origins
        self.port = settings.port or None  # 0: the OS picks; then any port of the right host
        host = settings.host.strip("[]").lower()
        self.wildcard = host in WILDCARD_HOSTS
        self.loopback = is_loopback(host)
        own = set(LOOPBACK_NAMES) | {host} if self.loopback else {host}
        self.own_hosts = frozenset(own)
        self.origins = frozenset(o.rstrip("/").lower() for o in settings.allowed_origins if o != "*")
        self.origin_hosts = frozenset(h for o in self.origins if (h := split_netloc(urlsplit(o).netloc)))

    def _own(self, host: str, port: int | None) -> bool:
        return host in self.own_hosts and (self.port is None or (port or 80) == self.port)

    def host_ok(self, host_header: str | None) -> bool:
        """Whether a request naming `host_header` may be answered (checked when bound to loopback)."""
        if self.any or not self.loopback:
            return True
        hp = split_netloc(host_header or "")
        return hp is not None and (self._own(*hp) or hp in self.origin_hosts)

    def origin_ok(self, origin: str | None, host_header: str | None) -> bool:
        if origin is None or self.any:
            return True  # not a browser: no cross-site page can be behind it
        origin = origin.rstrip("/").lower()
        if origin in self.origins:
            return True
        parts = urlsplit(origin)
        if parts.scheme != "http" or parts.path or parts.query:
            return False  # the lab serves plain http; an https page is another site (or a proxy: list it)
        hp = split_netloc(parts.netloc)
        if hp is None:
            return False
        if self.wildcard:
            return hp == split_netloc(host_header or "")
        return self._own(*hp)


class HostCheck:
    """ASGI middleware: a request whose Host the Guard refuses gets 400 (HTTP) or 403 (websocket)."""

    def __init__(self, app: Any, guard: Guard):
        self.app = app
        self.guard = guard

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            headers = dict(scope.get("headers") or [])
            host = headers.get(b"host", b"").decode("latin-1")
            if not self.guard.host_ok(host):
                log.warning("refused a request for host %r (see --allowed-origin)", host[:100])
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 1008, "reason": "bad host"})
                    return
                body = b"invalid Host header: this lab answers its own address only (see --allowed-origin)\n"
                await send({"type": "http.response.start", "status": 400,
                            "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                        (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
