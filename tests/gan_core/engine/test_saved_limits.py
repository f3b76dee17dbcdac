"""gan_core.engine.saved refuses a weights file by its declared sizes before loading anything (issue
14: a 1.4 MB payload of re-compressed zeros made the worker allocate ~1 GiB before the shapes were
refused)."""

from __future__ import annotations

import base64
import io
import zipfile

import pytest
import torch

from gan_core.engine import saved
from gan_core.engine.config import ConfigError
from gan_core.engine.trainer import Trainer

SMALL = {"target": {"name": "gaussian-1d"}, "generator": {"width": 8, "depth": 1},
         "discriminator": {"width": 8, "depth": 1}, "training": {"batch_size": 32}}


def _rezip(raw: bytes, grow: str | None = None, by: int = 0, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    """The archive with every entry written with `method`; entry `grow` padded with `by` zero bytes."""
    src, out = zipfile.ZipFile(io.BytesIO(raw)), io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=method) as z:
        for info in src.infolist():
            data = src.read(info.filename)
            if grow and info.filename.endswith(grow):
                data += bytes(by)
            z.writestr(info.filename, data)
    return out.getvalue()


@pytest.fixture
def export():
    t = Trainer(SMALL)
    t.step(2)
    return saved.export_experiment(t)


@pytest.fixture
def no_load(monkeypatch):
    """torch.load must not be reached: the refusal comes from the declared sizes alone."""
    def refuse(*args, **kwargs):
        raise AssertionError("torch.load was called on a payload that should have been refused first")

    monkeypatch.setattr(saved.torch, "load", refuse)


def _tensor_entry(raw: bytes) -> str:
    names = [n for n in zipfile.ZipFile(io.BytesIO(raw)).namelist() if "/data/" in n]
    return max(names, key=lambda n: zipfile.ZipFile(io.BytesIO(raw)).getinfo(n).file_size)


def test_recompressed_entries_inflating_to_far_more_than_the_config_holds_are_refused_unread(export, no_load):
    raw = base64.b64decode(export["weights"])
    bomb = _rezip(raw, grow=_tensor_entry(raw), by=16 * 2**20)  # 16 MiB of zeros: ~16 KB deflated (the issue: 1 GiB)
    assert len(bomb) < 2**20
    with pytest.raises(ConfigError) as err:
        saved.import_experiment({**export, "weights": base64.b64encode(bomb).decode()})
    assert err.value.field == "data.weights" and "compressed" in err.value.message


def test_stored_entries_declaring_more_than_the_config_holds_are_refused_unread(export, no_load):
    raw = base64.b64decode(export["weights"])
    padded = _rezip(raw, grow=_tensor_entry(raw), by=4 * 2**20, method=zipfile.ZIP_STORED)
    with pytest.raises(ConfigError) as err:
        saved.import_experiment({**export, "weights": base64.b64encode(padded).decode()})
    assert err.value.field == "data.weights" and "declared" in err.value.message


def test_an_honest_export_still_imports(export):
    back = saved.import_experiment(export)
    assert back.iteration == 2
    # and a file torch.save wrote, re-stored uncompressed, is still fine
    raw = base64.b64decode(export["weights"])
    again = _rezip(raw, method=zipfile.ZIP_STORED)
    assert saved.import_experiment({**export, "weights": base64.b64encode(again).decode()}).iteration == 2


def test_a_payload_that_is_not_a_zip_is_refused_by_field(export, no_load):
    buf = io.BytesIO()
    torch.save({"x": 1}, buf, _use_new_zipfile_serialization=False)  # the legacy format: not a zip
    with pytest.raises(ConfigError) as err:
        saved.import_experiment({**export, "weights": base64.b64encode(buf.getvalue()).decode()})
    assert err.value.field == "data.weights"
