"""Snapshot -> one binary websocket frame (docs/protocol.md, format v1), and the decoder tests use.

    b"TGF1" | uint32 LE header length H | H bytes UTF-8 JSON | 0..3 zero bytes | float32 LE arrays

JSON for the header (small, self-describing, extensible); raw little-endian float32 for the
arrays (a 64x64 D surface is 16 KB, as JSON it would be ~80 KB and slow to parse).
"""

from __future__ import annotations

import json
import math
import struct
from typing import Any

import numpy as np

from gan_core.engine.history import thin
from gan_core.engine.snapshot import Snapshot
from gan_core.plain_json import json_safe

MAGIC = b"TGF1"
FRAME_VERSION = 1
ARRAY_NAMES = ("real", "fake", "fake_grad", "grid_x", "grid_y", "d_surface", "d_optimal", "manifold",
               "density_x", "density_real", "density_fake")
_LE_F32 = np.dtype("<f4")
HISTORY_PER_FRAME = 32  # loss points per frame at most (curves stay smooth; the header stays ~3 KB)
# The Dirac game's coordinates of every iteration (~20 bytes of JSON each), so its orbit never
# depends on how many iterations passed between two frames; at most this many (the newest), i.e.
# every one unless a client fell more than ~2 s behind the Dirac presets' 1,800 it/s.
ORBIT_PER_FRAME = 4096
ORBIT_KEYS = ("theta", "psi", "theta2", "psi2")  # history keys of the Dirac game (2D: theta2, psi2)


class FrameError(ValueError):
    pass


def encode_frame(snap: Snapshot, history: list[dict[str, float]] | None = None,
                 extra: dict[str, Any] | None = None) -> bytes:
    """Pack one snapshot. `history`: every history entry since the previous frame (the header's
    `history` thins them to HISTORY_PER_FRAME; in the Dirac game `orbit` has every one's
    coordinates); `extra`: more header fields."""
    history = history or []
    arrays = []
    entries = []
    offset = 0
    for name in ARRAY_NAMES:
        a = getattr(snap, name)
        if a is None:
            continue
        a = np.ascontiguousarray(a, dtype=_LE_F32)
        entries.append({"name": name, "shape": list(a.shape), "offset": offset})
        arrays.append(a)
        offset += a.nbytes
    header = {
        "v": FRAME_VERSION, "kind": "frame", "iteration": int(snap.iteration), "dim": int(snap.dim),
        "status": snap.status, "status_message": snap.status_message, "bounds": list(snap.bounds),
        "d_kind": snap.d_kind, "losses": snap.losses, "metrics": snap.metrics,
        "history": thin(history, HISTORY_PER_FRAME), "dirac": None if snap.dirac is None else list(snap.dirac),
        "orbit": None if snap.dirac is None else orbit(history), "rebuilt": bool(snap.rebuilt),
        "surface_iteration": snap.surface_iteration, "d_optimal_kind": snap.d_optimal_kind,
        "window": list(snap.window if snap.window is not None else snap.bounds),
        "metrics_iteration": snap.metrics_iteration if snap.metrics else None,
        **(extra or {}), "arrays": entries,
    }
    text = json.dumps(json_safe(header, short=True), separators=(",", ":"), allow_nan=False).encode()
    pad = -(8 + len(text)) % 4  # the payload starts 4-byte aligned: Float32Array views need it
    return b"".join([MAGIC, struct.pack("<I", len(text)), text, b"\0" * pad, *(a.tobytes() for a in arrays)])


def orbit(history: list[dict[str, float]]) -> dict[str, Any] | None:
    """The Dirac coordinates of consecutive iterations as columns, {"from": first iteration,
    "theta": [...], "psi": [...]} (2D game: also "theta2", "psi2"); None without any."""
    points = history[-ORBIT_PER_FRAME:]
    if not points or "theta" not in points[-1]:
        return None
    keys = [k for k in ORBIT_KEYS if k in points[-1]]
    return {"from": int(points[0]["iteration"]), **{k: [e.get(k) for e in points] for k in keys}}


def read_header(buf: bytes) -> dict[str, Any]:
    """Only a frame's JSON header (a broadcast keeps its viewers' curves from it, arrays unread);
    raises FrameError on a malformed frame."""
    if len(buf) < 8 or buf[:4] != MAGIC:
        raise FrameError("not a TGF1 frame")
    (hlen,) = struct.unpack_from("<I", buf, 4)
    if 8 + hlen > len(buf):
        raise FrameError("header length past the end")
    header = json.loads(buf[8:8 + hlen].decode())
    if header.get("v") != FRAME_VERSION:
        raise FrameError(f"unsupported frame version {header.get('v')}")
    return header


def decode_frame(buf: bytes) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Inverse of encode_frame: (header, {name: float32 array}); raises FrameError on a malformed frame."""
    header = read_header(buf)
    (hlen,) = struct.unpack_from("<I", buf, 4)
    start = 8 + hlen + (-(8 + hlen) % 4)
    arrays = {}
    for e in header["arrays"]:
        count = math.prod(e["shape"])
        lo = start + e["offset"]
        if lo % 4 or lo + 4 * count > len(buf):
            raise FrameError(f"array {e['name']} out of bounds")
        arrays[e["name"]] = np.frombuffer(buf, dtype=_LE_F32, count=count, offset=lo).reshape(e["shape"])
    return header, arrays
