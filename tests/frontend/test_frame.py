"""frame.js decodes frame format v1 (docs/protocol.md) exactly as specified: frames built here by
hand from the spec, not by the server's encoder, so a drift on either side shows."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

pytestmark = pytest.mark.browser


def build_frame(header: dict, arrays: dict[str, np.ndarray], raw_header: str | None = None) -> bytes:
    entries, blobs, offset = [], [], 0
    for name, a in arrays.items():
        a = np.ascontiguousarray(a, dtype="<f4")
        entries.append({"name": name, "shape": list(a.shape), "offset": offset})
        blobs.append(a.tobytes())
        offset += a.nbytes
    text = (raw_header or json.dumps({**header, "arrays": entries})).encode()
    pad = -(8 + len(text)) % 4
    return b"TGF1" + struct.pack("<I", len(text)) + text + b"\0" * pad + b"".join(blobs)


DECODE = """async (bytes) => {
  const m = await import('./static/frame.js');
  const buf = new Uint8Array(bytes).buffer;
  try {
    const f = m.decodeFrame(buf);
    const arrays = {};
    for (const [k, v] of Object.entries(f.arrays)) arrays[k] = {shape: v.shape, data: Array.from(v.data)};
    return {header: f.header, arrays};
  } catch (e) { return {error: e.message}; }
}"""


@pytest.fixture(scope="module")
def decode(lab_browser, lab_url):
    context = lab_browser.new_context()
    page = context.new_page()
    page.goto(lab_url)  # only for the origin: frame.js is imported from the lab's static files
    yield lambda frame: page.evaluate(DECODE, list(frame))
    context.close()


@pytest.mark.parametrize("pad_name", ["", "x", "xy", "xyz"])  # every payload padding 0..3
def test_arrays_and_header_round_trip(decode, pad_name):
    rng = np.random.default_rng(0)
    surface = rng.random((3, 5), dtype=np.float32)
    real = rng.normal(size=(4, 2)).astype(np.float32)
    frame = build_frame({"v": 1, "kind": "frame", "iteration": 7, "dim": 2, "pad": pad_name,
                         "bounds": [-1, 1, -2, 2]}, {"real": real, "d_surface": surface})
    got = decode(frame)
    assert "error" not in got, got
    assert got["header"]["iteration"] == 7 and got["header"]["bounds"] == [-1, 1, -2, 2]
    assert got["arrays"]["d_surface"]["shape"] == [3, 5]
    np.testing.assert_array_equal(np.array(got["arrays"]["d_surface"]["data"], np.float32), surface.ravel())
    np.testing.assert_array_equal(np.array(got["arrays"]["real"]["data"], np.float32), real.ravel())


def test_nan_in_header_reads_as_null(decode):
    raw = '{"v": 1, "iteration": 3, "losses": {"d_loss": NaN, "g_loss": -Infinity}, "arrays": []}'
    got = decode(build_frame({}, {}, raw_header=raw))
    assert got["header"]["losses"] == {"d_loss": None, "g_loss": None}


@pytest.mark.parametrize("frame, reason", [
    (b"XXXX" + struct.pack("<I", 2) + b"{}", "magic"),
    (b"TGF1" + struct.pack("<I", 999) + b"{}", "header length"),
    (build_frame({}, {}, raw_header='{"v": 2, "arrays": []}'), "version"),
    (build_frame({}, {}, raw_header='{"v": 1, "arrays": [{"name": "real", "shape": [100, 2], "offset": 0}]}'),
     "out of bounds"),
])
def test_malformed_frames_are_refused_with_a_reason(decode, frame, reason):
    got = decode(frame)
    assert reason in got.get("error", ""), got
