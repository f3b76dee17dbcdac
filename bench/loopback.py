"""The benches' websocket clients on loopback: what they receive, until they are told to stop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

POLL_S = 0.5  # how often a client waiting for a message looks at its stop event (seconds)


async def receive_until(ws: Any, stop: asyncio.Event, poll_s: float = POLL_S) -> AsyncIterator[str | bytes]:
    """Each message `ws` receives (bytes: a frame; str: JSON text) until `stop` is set. A quiet socket
    still ends within `poll_s` of the stop."""
    while not stop.is_set():
        try:
            yield await asyncio.wait_for(ws.recv(), poll_s)
        except TimeoutError:
            continue
