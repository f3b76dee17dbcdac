"""The experiment's settings as a reader needs them: each section's fields that are in effect.

The config's unions already leave out the fields of other kinds (an Adam optimizer has no momentum).
What remains can still be switched off: a regularizer, dropout or weight decay of 0 does nothing, a
False switch (batch norm, spectral norm) is off, an annealing span means nothing without instance
noise, a learning-rate drop factor nothing without a drop, a null (uniform weights, the origin) says
"the usual". Those are left out here; the exact config, every
field, goes in the report's JSON for `toygan run --config`.
"""

from __future__ import annotations

from typing import Any

from gan_core.engine.config import ExperimentConfig

# field -> the field that switches it on (it means nothing while that one is 0)
DEPENDS_ON = {
    ("regularizers", "instance_noise_anneal"): ("regularizers", "instance_noise"),
    ("training", "lr_drop_factor"): ("training", "lr_drop_at"),
}
# Fields that are off at 0 (None: every field of the section); a False switch is off too.
OFF_AT_ZERO = {"regularizers": None, "training": {"lr_drop_at", "unroll"}, "generator": {"dropout"},
               "discriminator": {"dropout"}, "optimizer_g": {"weight_decay"}, "optimizer_d": {"weight_decay"}}
POINT_LISTS = {"points"}  # a drawn or data target's rows: counted, not listed


def in_effect(cfg: ExperimentConfig) -> dict[str, dict[str, Any]]:
    """{section: {field: value}} of the fields that do something in `cfg`; a section with none in
    effect (no regularizer on) is left out."""
    dump = cfg.model_dump(mode="json")
    out: dict[str, dict[str, Any]] = {}
    for section, fields in dump.items():
        if not isinstance(fields, dict):
            out.setdefault("run", {})[section] = fields
            continue
        kept: dict[str, Any] = {}
        zero_off = OFF_AT_ZERO.get(section, set())
        for name, value in fields.items():
            if value is None or value is False:
                continue
            if (zero_off is None or name in zero_off) and value == 0:
                continue
            switch = DEPENDS_ON.get((section, name))
            if switch and not dump[switch[0]][switch[1]]:
                continue
            kept[name] = f"{len(value)} rows" if name in POINT_LISTS else value
        if kept:
            out[section] = kept
    return out
