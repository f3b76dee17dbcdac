"""The experiment's single source of truth: one pydantic model, `ExperimentConfig`.

Its sections live in gan_core.engine.config_targets (the target kinds) and config_sections (the
rest); where kinds differ (target, generator, discriminator, objective, optimizers) a section is a
discriminated union (`UNIONS` here describes them), so each kind carries only its own fields. The browser builds its form from the JSON schema (`experiment_schema()`),
the URL hash stores a diff of it, `toygan run --set a.b=v` patches it, and live edits are
validated as a whole (`apply_patch`), never piecemeal.

Besides the model this module owns three rules that must live once:
  - which changes build new networks (`REBUILD_PATHS`, `needs_rebuild`; the schema's marks);
  - what a switch of kind keeps (`apply_patch`: the new kind's defaults, plus the fields every
    kind of that section has, such as an optimizer's learning rate);
  - how a config written for an older schema is read (`upgrade_config`, the one migration).
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal, get_args

from pydantic import Field, ValidationError, model_validator

from gan_core.engine.config_sections import (
    MAX_DRAWN_POINTS,
    MAX_PAIRWISE,
    PANELS,
    AdamConfig,
    DiscriminatorConfig,
    GeneratorConfig,
    LossConfig,
    MLPDiscriminatorConfig,
    MLPGeneratorConfig,
    NoiseConfig,
    ObjectiveConfig,
    OptimizerConfig,
    RegularizerConfig,
    Strict,
    TrainingConfig,
    section_field,
    ui,
)
from gan_core.engine.config_targets import RingConfig, TargetConfig

__all__ = ["MAX_DRAWN_POINTS", "REBUILD_PATHS", "SCHEMA_VERSION", "TARGET_DIMS", "UNIONS", "ConfigError",
           "DiscriminatorConfig", "ExperimentConfig", "GeneratorConfig", "KindUnion", "ObjectiveConfig",
           "OptimizerConfig", "TargetConfig", "TrainingConfig", "apply_patch", "changed_sections", "config_error",
           "deep_merge", "dotted_patch", "experiment_schema", "kinds_of", "needs_rebuild", "parse_config",
           "target_dim", "upgrade_config"]

# 3: the objective "energy" is called "non-saturating-margin" (it was never EBGAN; "ebgan" is).
# 2: discriminated unions per kind. 1: one flat model per section. See upgrade_config.
SCHEMA_VERSION = 3
# Objective names an older schema used, by the version that last used them: old -> current.
_RENAMED_OBJECTIVES: Mapping[int, Mapping[str, str]] = MappingProxyType({
    2: MappingProxyType({"energy": "non-saturating-margin"})})


class ExperimentConfig(Strict):
    """A whole experiment: what a link reproduces, what `toygan run` trains."""

    # Instances, not factories, as defaults: the JSON schema then states each section's default,
    # which the page diffs links against.
    target: TargetConfig = section_field(RingConfig(), "Target", "data", "The real data", True)
    generator: GeneratorConfig = section_field(MLPGeneratorConfig(), "Generator G", "networks",
                                               "Turns noise z into samples")
    discriminator: DiscriminatorConfig = section_field(MLPDiscriminatorConfig(), "Discriminator D", "networks",
                                                       "Scores a sample: real or generated?")
    noise: NoiseConfig = section_field(NoiseConfig(), "Noise z", "networks", "The generator's random input")
    objective: ObjectiveConfig = section_field(LossConfig(), "Loss", "loss", "What D and G each try to do", True)
    regularizers: RegularizerConfig = section_field(RegularizerConfig(), "Stabilizers", "loss",
                                                    "Additions to the loss that calm the game down (0: off)")
    optimizer_g: OptimizerConfig = section_field(AdamConfig(), "G's optimizer", "optimisers",
                                                 "How the generator steps", True)
    optimizer_d: OptimizerConfig = section_field(AdamConfig(), "D's optimizer", "optimisers",
                                                 "How the discriminator steps", True)
    training: TrainingConfig = section_field(TrainingConfig(), "Training schedule", "training",
                                             "What one iteration does", True)
    seed: int = Field(0, title="Random seed", ge=0, le=2**31 - 1, description="Same config + same seed = the "
                      "same run, sample for sample", json_schema_extra=ui("training", "number"))
    device: Literal["cpu", "cuda"] = Field("cpu", title="Device", description="Where tensors live ('cuda' only "
                                           "if available)", json_schema_extra=ui("training", "hidden"))

    @model_validator(mode="before")
    @classmethod
    def _default_kinds(cls, data: Any) -> Any:
        # A section that does not say its kind is of the default kind (a link's diff against the
        # defaults leaves out `target.name` when it is the default ring).
        if isinstance(data, dict):
            fill = {s: {u.key: u.default, **data[s]} for s, u in UNIONS.items()
                    if isinstance(data.get(s), dict) and u.key not in data[s]}
            if fill:
                return {**data, **fill}
        return data

    @model_validator(mode="after")
    def _check(self) -> ExperimentConfig:
        if self.generator.kind == "point" and self.target.name != "dirac":
            # A single point can only ever match a single point; anything else is a confusing dead end.
            raise ValueError("generator.kind: the point generator only plays the Dirac game (target.name='dirac')")
        for section, net in (("generator", self.generator), ("discriminator", self.discriminator)):
            init = getattr(net, "init", None)
            if init is not None and len(init) != target_dim(self.target):
                raise ValueError(f"{section}.init: needs one value per target dimension")
        if self.objective.name == "ebgan" and self.discriminator.kind != "autoencoder":
            # The other way round is allowed (an auto-encoder scores -E(x) under any loss), so the
            # form can switch the discriminator first and the loss second.
            raise ValueError("objective.name: 'ebgan' needs discriminator.kind 'autoencoder' (its energy is the "
                             "auto-encoder's reconstruction error); switch the discriminator first")
        if getattr(self.objective, "pull_away", 0) and getattr(self.discriminator, "code", 0) < 2:
            # Codes of one number all point along one line: every cosine is +-1, the term a constant.
            raise ValueError("objective.pull_away: needs discriminator.code >= 2 (with a code of one number "
                             "every pair points the same way)")
        d = self.discriminator
        values = getattr(d, "minibatch_kernels", 0) * getattr(d, "minibatch_kernel_dim", 0)
        if values and values * self.training.batch_size ** 2 > MAX_PAIRWISE:
            most = math.isqrt(MAX_PAIRWISE // values)
            raise ValueError(f"training.batch_size: minibatch discrimination compares every pair in a batch; with "
                             f"{d.minibatch_kernels} kernels of {d.minibatch_kernel_dim} values a batch holds at "
                             f"most {most} samples (fewer kernels or values allow more)")
        return self


# ---- the sections with kinds ---------------------------------------------------------------------

@dataclass(frozen=True)
class KindUnion:
    """One discriminated-union section: its discriminator key, its default kind, the kinds (in the
    form's order), the fields each kind has, the fields every kind has (they survive a switch of
    kind), and a noun for messages ("not a field of target 'ring'")."""

    key: str
    noun: str
    default: str
    kinds: tuple[str, ...]
    fields: Mapping[str, tuple[str, ...]]
    shared: frozenset[str]


def _union(section: str, annotation: Any, key: str, noun: str, order: tuple[str, ...] = ()) -> KindUnion:
    fields: dict[str, tuple[str, ...]] = {}
    for model in get_args(get_args(annotation)[0]):
        for kind in get_args(model.model_fields[key].annotation):
            fields[kind] = tuple(model.model_fields)
    kinds = tuple(order) or tuple(fields)
    if set(kinds) != set(fields):
        raise ValueError(f"the {noun} kinds' order {kinds} must name each kind once: {sorted(fields)}")
    shared = frozenset.intersection(*map(frozenset, fields.values())) - {key}
    default = getattr(ExperimentConfig.model_fields[section].default, key)
    return KindUnion(key, noun, default, kinds, MappingProxyType(fields), shared)


# section -> its union. Read-only: this describes the schema, it is not runtime state.
UNIONS: Mapping[str, KindUnion] = MappingProxyType({
    "target": _union("target", TargetConfig, "name", "target"),
    "generator": _union("generator", GeneratorConfig, "kind", "generator"),
    "discriminator": _union("discriminator", DiscriminatorConfig, "kind", "discriminator"),
    # The teaching order of the losses: the logistic ones, least squares, then the critics, then EBGAN.
    "objective": _union("objective", ObjectiveConfig, "name", "objective",
                        ("minimax", "non-saturating", "non-saturating-margin", "least-squares", "wasserstein",
                         "wgan-gp", "hinge", "ebgan")),
    "optimizer_g": _union("optimizer_g", OptimizerConfig, "name", "optimizer"),
    "optimizer_d": _union("optimizer_d", OptimizerConfig, "name", "optimizer"),
})


# The data space's dimension of each target: a number, or the name of the target field that holds it.
TARGET_DIMS: Mapping[str, int | str] = MappingProxyType({
    **{name: 2 for name in UNIONS["target"].kinds}, "gaussian-1d": 1, "mixture-1d": 1, "uniform-1d": 1, "dirac": "dim", "data": "dim"})


def target_dim(t: TargetConfig) -> int:
    """1 or 2: the dimension of the data space of target `t`."""
    d = TARGET_DIMS[t.name]
    return getattr(t, d) if isinstance(d, str) else d


# ---- the one rebuild rule -------------------------------------------------------------------------

# A change of any of these (a whole section, or one field) builds new networks, and so does a
# target of another dimension; everything else changes live, keeping the weights and the
# optimizers' state. The trainer asks needs_rebuild(); experiment_schema() marks the same fields.
REBUILD_PATHS = ("generator", "discriminator", "noise.dim", "seed", "device")
_DIM_MARK = "when the data's dimension changes"  # what the schema says on the target's kind and dim


def _at(dump: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        dump = dump[part]
    return dump


def needs_rebuild(old: ExperimentConfig, new: ExperimentConfig) -> bool:
    """Whether going from `old` to `new` needs new networks (the iteration restarts at 0)."""
    if target_dim(old.target) != target_dim(new.target):
        return True
    a, b = old.model_dump(), new.model_dump()
    return any(_at(a, p) != _at(b, p) for p in REBUILD_PATHS)


# ---- errors ---------------------------------------------------------------------------------------

class ConfigError(ValueError):
    """A config or patch that does not validate; `field` is the dotted path of the first bad field."""

    def __init__(self, message: str, field: str | None = None, errors: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.errors = errors or []


def _describe(err: dict[str, Any]) -> tuple[str | None, str]:
    """(dotted field, reason) of one pydantic error, in the config's own terms (no union tags in paths)."""
    loc = [str(p) for p in err.get("loc", ()) if not isinstance(p, int)]
    msg = str(err.get("msg", "")).replace("Value error, ", "")
    u = UNIONS.get(loc[0]) if loc else None
    kind = loc.pop(1) if u and len(loc) > 1 and loc[1] in u.fields else None
    if u and len(loc) == 1 and err.get("type") in ("union_tag_invalid", "union_tag_not_found"):
        tag = (err.get("ctx") or {}).get("tag")
        what = f"unknown {u.noun} {tag!r}" if tag is not None else f"must say which {u.noun} (missing)"
        return f"{loc[0]}.{u.key}", f"{what}; one of: {', '.join(u.kinds)}"
    if u and kind and len(loc) == 2 and err.get("type") == "extra_forbidden":
        return ".".join(loc), f"not a field of {u.noun} {kind!r} (its fields: {', '.join(u.fields[kind])})"
    # Model validators raise "target.stds: why"; the field they name is the one at fault.
    named = re.match(r"(\w+\.[\w.]+): (.*)", msg, re.S)
    if named:
        return named.group(1), named.group(2)
    return ".".join(loc) or None, msg


def config_error(exc: ValidationError) -> ConfigError:
    """Turn pydantic's error list into one readable message that names the field and the reason."""
    errors = exc.errors(include_url=False)
    described = [_describe(e) for e in errors]
    return ConfigError("; ".join(f"{f or 'config'}: {why}" for f, why in described),
                       described[0][0] if described else None,
                       [{**e, "ctx": {k: str(v) for k, v in (e.get("ctx") or {}).items()}} for e in errors])


# ---- reading older schemas ------------------------------------------------------------------------

# Schema version 1's sections, frozen here: one flat model each, every kind carrying every field.
_V1_FIELDS: Mapping[str, frozenset[str]] = MappingProxyType({
    "target": frozenset("name modes radius spacing std mean cov means stds weights low high points dim".split()),
    "generator": frozenset("kind depth width activation dropout batch_norm init".split()),
    "discriminator": frozenset("kind depth width activation dropout batch_norm spectral_norm input_scale bias "
                               "init".split()),
    "objective": frozenset("name gp_weight clip margin".split()),
    "optimizer_g": frozenset("name lr beta1 beta2 momentum weight_decay".split()),
    "optimizer_d": frozenset("name lr beta1 beta2 momentum weight_decay".split()),
})


def _v1_to_v2(data: dict[str, Any], kinds: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    out, dropped = copy.deepcopy(data), []
    for section, u in UNIONS.items():
        sub = out.get(section)
        if not isinstance(sub, dict):
            continue
        kind = sub.get(u.key, kinds.get(section, u.default))
        if kind not in u.fields:
            continue  # an unknown kind: validation names it
        if kind == "rmsprop" and "beta2" in sub and "alpha" not in sub:
            sub["alpha"] = sub.pop("beta2")  # v1 used beta2 as RMSprop's alpha
        for name in [k for k in sub if k in _V1_FIELDS[section] and k not in u.fields[kind]]:
            del sub[name]
            dropped.append(f"{section}.{name}")
    return out, dropped


def upgrade_config(data: dict[str, Any], version: int,
                   kinds: Mapping[str, str] | None = None) -> tuple[dict[str, Any], list[str]]:
    """A config dict written for schema `version`, rewritten for SCHEMA_VERSION; returns it and the
    dotted paths of the fields it dropped. The one migration: links, saved experiments, config
    files and patches all come through here.

    Versions 1 and 2 called the non-saturating loss with a margin "energy" (it is not EBGAN, whose
    discriminator is an auto-encoder): it becomes "non-saturating-margin", with its margin.
    Version 1 had one flat model per section, so every kind carried every field: a v1 ring target
    holds means, stds, low, high, points, dim; a v1 Adam optimizer momentum; a v1 affine generator
    depth and width. Upgrading keeps every value that applies to the section's kind and drops the
    rest; RMSprop's beta2 becomes alpha. The data may be whole or partial (a link's diff against
    the defaults, a live patch): a section that does not name its kind is of kind `kinds[section]`
    (a patch: the kind it patches), else the default kind. A key version 1 never had passes through
    untouched, so the strict validation that follows still names it as an error; and valid current
    data upgraded as if it were version 1 comes back unchanged.
    """
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= SCHEMA_VERSION:
        raise ConfigError(f"schema_version: {version!r} is not a schema version this lab reads (1 to "
                          f"{SCHEMA_VERSION})", "schema_version")
    dropped: list[str] = []
    data = _rename_objectives(data, version)
    if version == 1:
        data, dropped = _v1_to_v2(data, kinds or {})
    return data, dropped


def _rename_objectives(data: dict[str, Any], version: int) -> dict[str, Any]:
    """`data` with every objective name that versions `version`.. used and later ones renamed."""
    sub = data.get("objective")
    if not isinstance(sub, dict):
        return data
    name = sub.get("name")
    for v in range(version, SCHEMA_VERSION):
        if isinstance(name, str):
            name = _RENAMED_OBJECTIVES.get(v, {}).get(name, name)
    if name == sub.get("name"):
        return data
    return {**data, "objective": {**sub, "name": name}}


# ---- reading and patching -------------------------------------------------------------------------

def deep_merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Recursively overlay `patch` on `base` (dicts merge, everything else replaces)."""
    out = copy.deepcopy(base)
    for k, v in patch.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def parse_config(data: dict[str, Any] | None, version: int = SCHEMA_VERSION) -> ExperimentConfig:
    """Validate a whole config dict (missing keys take defaults). Raises ConfigError.

    `data` written for an older schema is upgraded first (upgrade_config): its version is its own
    top-level "schema_version" key when it has one (a link's config does), else `version`.
    """
    if data is not None and not isinstance(data, dict):
        raise ConfigError("config: must be a JSON object", None)
    data = dict(data or {})
    version = data.pop("schema_version", version)
    if version != SCHEMA_VERSION:
        data, _ = upgrade_config(data, version)
    try:
        # Strict: "0.1" is not a number, 2.0 not an integer, "true" not a flag (an integer is still
        # a float), so what a link or a patch says is exactly what runs (docs/protocol.md).
        return ExperimentConfig.model_validate(data, strict=True)
    except ValidationError as exc:
        raise config_error(exc) from None


def kinds_of(cfg: ExperimentConfig) -> dict[str, str]:
    """The kind of each union section of `cfg`: {"target": "ring", "optimizer_d": "adam", ...}."""
    return {s: getattr(getattr(cfg, s), u.key) for s, u in UNIONS.items()}


def apply_patch(cfg: ExperimentConfig, patch: dict[str, Any]) -> ExperimentConfig:
    """Return a new config with `patch` deep-merged in, validated as a whole. Raises ConfigError.

    A patch that switches a section's kind (`{"optimizer_d": {"name": "sgd"}}`) starts that section
    from the new kind's defaults, keeping only the fields every kind of it has (an optimizer's lr and
    weight decay); keys the patch gives still win. A patch may say its schema version in a top-level
    "schema_version" key (an old config file imported into a running lab); it is upgraded first.
    """
    if not isinstance(patch, dict):
        raise ConfigError("patch: must be a JSON object", "patch")
    patch = dict(patch)
    version = patch.pop("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        patch, _ = upgrade_config(patch, version, kinds_of(cfg))
    base = cfg.model_dump()
    for section, u in UNIONS.items():
        sub = patch.get(section)
        if isinstance(sub, dict) and sub.get(u.key) not in (None, base[section][u.key]):
            base[section] = {u.key: sub[u.key], **{f: base[section][f] for f in u.shared}}
    return parse_config(deep_merge(base, patch))


def dotted_patch(path: str, value: Any) -> dict[str, Any]:
    """`dotted_patch("objective.name", "hinge")` -> {"objective": {"name": "hinge"}}."""
    parts = [p for p in path.split(".") if p]
    if not parts:
        raise ConfigError("--set: empty key", None)
    out: dict[str, Any] = {parts[-1]: value}
    for p in reversed(parts[:-1]):
        out = {p: out}
    return out


def changed_sections(old: ExperimentConfig, new: ExperimentConfig) -> set[str]:
    """Top-level sections (and scalar fields) whose value differs between two configs."""
    a, b = old.model_dump(), new.model_dump()
    return {k for k in b if a.get(k) != b[k]}


# ---- the schema the page builds its form from -----------------------------------------------------

def _defs(schema: dict[str, Any], prop: dict[str, Any]) -> list[dict[str, Any]]:
    """The model schemas a property holds: one ($ref), each variant (a union), or none (a scalar)."""
    refs = [prop] if "$ref" in prop else prop.get("oneOf", [])
    return [schema["$defs"][r["$ref"].rsplit("/", 1)[-1]] for r in refs if "$ref" in r]


def _mark_rebuild(schema: dict[str, Any]) -> None:
    """ui.rebuild on every field REBUILD_PATHS names (true), and on the target fields that set the
    data's dimension (a sentence: when it rebuilds)."""
    props = schema["properties"]
    for path in REBUILD_PATHS:
        section, _, field = path.partition(".")
        models = _defs(schema, props[section])
        targets = [p for m in models for name, p in m["properties"].items() if not field or name == field]
        for p in targets or [props[section]]:
            p.setdefault("ui", {})["rebuild"] = True
    dim_fields = {UNIONS["target"].key} | {d for d in TARGET_DIMS.values() if isinstance(d, str)}
    for m in _defs(schema, props["target"]):
        for name in dim_fields & set(m["properties"]):
            m["properties"][name].setdefault("ui", {})["rebuild"] = _DIM_MARK


def experiment_schema() -> dict[str, Any]:
    """The JSON schema the browser builds its form from: each union section is a `oneOf` with a
    `discriminator` whose mapping lists the kinds in the form's order; UI hints, rebuild marks,
    the schema version, the form's panels (x-panels) and each target's dimension ride along."""
    schema = ExperimentConfig.model_json_schema()
    for section, u in UNIONS.items():
        mapping = schema["properties"][section]["discriminator"]["mapping"]
        schema["properties"][section]["discriminator"]["mapping"] = {k: mapping[k] for k in u.kinds}
    _mark_rebuild(schema)
    schema["x-schema-version"] = SCHEMA_VERSION
    schema["x-panels"] = [{"key": k, "title": t} for k, t in PANELS]
    schema["x-target-dims"] = dict(TARGET_DIMS)
    return schema
