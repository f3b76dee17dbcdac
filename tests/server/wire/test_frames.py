"""Binary frames: a hand-made Snapshot round-trips exactly; the reference frame stays under 40 KB; the
loss history is thinned, the Dirac orbit is not."""

import json
import struct

import numpy as np
import pytest

from gan_core.engine.snapshot import Snapshot, SnapshotOptions
from gan_core.engine.trainer import Trainer
from server.wire.frames import HISTORY_PER_FRAME, ORBIT_PER_FRAME, FrameError, decode_frame, encode_frame


def _snap(n=512, g=64) -> Snapshot:
    rng = np.random.default_rng(0)
    return Snapshot(
        iteration=7, status="ok", status_message="", dim=2, bounds=(-3.0, 3.0, -2.5, 2.5),
        real=rng.normal(size=(n, 2)).astype(np.float32), fake=rng.normal(size=(n, 2)).astype(np.float32),
        fake_grad=rng.normal(size=(n, 2)).astype(np.float32), grid_x=np.linspace(-3, 3, g, dtype=np.float32),
        grid_y=np.linspace(-2.5, 2.5, g, dtype=np.float32), d_surface=rng.random((g, g)).astype(np.float32),
        d_kind="probability", d_optimal=None, manifold=rng.normal(size=(20, 20, 2)).astype(np.float32),
        density_x=None, density_real=None, density_fake=None, losses={"d_loss": 1.25, "g_loss": float("nan")},
        metrics={"modes_captured": 3.0}, dirac=None)


def _dirac_history(first: int, n: int, plane: bool = False) -> list[dict]:
    extra = (lambda i: {"theta2": -i / 1000, "psi2": i / 500}) if plane else (lambda i: {})
    return [{"iteration": i, "d_loss": 1.0, "theta": i / 1000, "psi": -i / 1000, **extra(i)}
            for i in range(first, first + n)]


def test_the_history_is_thinned_but_the_dirac_orbit_has_every_iteration():
    snap = _snap(n=4, g=8)
    snap.dirac = (0.5, -0.5)
    header, _ = decode_frame(encode_frame(snap, _dirac_history(101, 300)))
    assert len(header["history"]) == HISTORY_PER_FRAME and header["history"][-1]["iteration"] == 400
    orbit = header["orbit"]
    assert orbit["from"] == 101 and set(orbit) == {"from", "theta", "psi"}
    assert orbit["theta"] == [i / 1000 for i in range(101, 401)] and orbit["psi"] == [-i / 1000 for i in range(101, 401)]
    plane, _ = decode_frame(encode_frame(snap, _dirac_history(1, 3, plane=True)))  # the 2D game
    assert plane["orbit"] == {"from": 1, "theta": [0.001, 0.002, 0.003], "psi": [-0.001, -0.002, -0.003],
                              "theta2": [-0.001, -0.002, -0.003], "psi2": [0.002, 0.004, 0.006]}
    idle, _ = decode_frame(encode_frame(snap, []))  # no iteration since the previous frame
    assert idle["orbit"] is None and idle["dirac"] == [0.5, -0.5]


def test_a_client_far_behind_gets_the_newest_orbit_points():
    snap = _snap(n=4, g=8)
    snap.dirac = (0.0, 0.0)
    header, _ = decode_frame(encode_frame(snap, _dirac_history(1, ORBIT_PER_FRAME + 10)))
    assert header["orbit"]["from"] == 11 and len(header["orbit"]["theta"]) == ORBIT_PER_FRAME


def test_other_games_carry_no_orbit():
    header, _ = decode_frame(encode_frame(_snap(n=4, g=8), [{"iteration": 1, "d_loss": 1.0}]))
    assert header["orbit"] is None and header["dirac"] is None


def test_round_trip_is_exact_and_aligned():
    s = _snap()
    buf = encode_frame(s, [{"iteration": 7, "d_loss": 1.0}], {"its": 12.5})
    assert buf[:4] == b"TGF1"
    (hlen,) = struct.unpack_from("<I", buf, 4)
    assert (8 + hlen + (-(8 + hlen) % 4)) % 4 == 0
    header, arrays = decode_frame(buf)
    assert header["iteration"] == 7 and header["its"] == 12.5 and header["bounds"] == [-3, 3, -2.5, 2.5]
    assert header["losses"]["g_loss"] is None  # NaN becomes null: strict JSON
    assert set(arrays) == {"real", "fake", "fake_grad", "grid_x", "grid_y", "d_surface", "manifold"}
    for name, a in arrays.items():
        np.testing.assert_array_equal(a, getattr(s, name))
    assert arrays["d_surface"].shape == (64, 64)
    json.dumps(header, allow_nan=False)


def test_reference_frame_is_under_40_kb():
    t = Trainer()  # the reference 2D config: ring, 2x64 MLPs
    t.step(2)
    snap = t.snapshot(SnapshotOptions(samples=512, grid=64))
    history = [{"iteration": i, "d_loss": 1.3862943611, "g_loss": 0.69314718, "d_real": 0.5, "d_fake": 0.5}
               for i in range(32)]
    buf = encode_frame(snap, history, {"its": 300.0, "state": "running", "config_rev": 1})
    assert len(buf) < 40 * 1024, len(buf)
    header, arrays = decode_frame(buf)
    assert arrays["d_surface"].shape == (64, 64) and arrays["real"].shape == (512, 2)
    assert all(np.isfinite(a).all() for a in arrays.values())


def test_malformed_frames_are_rejected():
    buf = encode_frame(_snap(n=4, g=8))
    with pytest.raises(FrameError):
        decode_frame(b"XXXX" + buf[4:])
    with pytest.raises(FrameError):
        decode_frame(buf[:-4])  # last array cut short


def test_the_header_says_which_optimal_discriminator_is_drawn():
    """The page's legend names the curve (p/(p+q), or (1-eps) p/(p+q) with label smoothing; none for critics)."""
    t = Trainer({"target": {"name": "gaussian-1d"}, "generator": {"kind": "affine"}, "noise": {"dim": 1},
                 "regularizers": {"label_smoothing": 0.2}})
    header, arrays = decode_frame(encode_frame(t.snapshot(SnapshotOptions(optimal_d=True)), []))
    assert header["d_optimal_kind"] == "(1-eps) p/(p+q)" and "d_optimal" in arrays
    t.apply({"objective": {"name": "wgan-gp"}, "regularizers": {"label_smoothing": 0.0}})
    header, arrays = decode_frame(encode_frame(t.snapshot(SnapshotOptions(optimal_d=True)), []))
    assert header["d_optimal_kind"] is None and "d_optimal" not in arrays
