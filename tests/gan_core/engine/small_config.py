"""Small, fast experiments for engine tests (shared by several test files): 1×16 MLPs at batch 64,
and the Dirac game."""

SMALL = {"generator": {"depth": 1, "width": 16}, "discriminator": {"depth": 1, "width": 16},
         "training": {"batch_size": 64}}


def merge_sections(base, sections):
    """`sections` over `base`: dict sections merge key by key, unless the new one names a network
    kind other than the MLP (an affine or point generator has no depth or width); others replace."""
    out = {k: dict(v) if isinstance(v, dict) else v for k, v in base.items()}
    for k, v in sections.items():
        mlp = not isinstance(v, dict) or v.get("kind", "mlp") == "mlp"
        out[k] = {**out.get(k, {}), **v} if isinstance(v, dict) and mlp else v
    return out


def small_cfg(**sections):
    """SMALL with `sections` merged in (see merge_sections)."""
    return merge_sections(SMALL, sections)


def dirac_cfg(update="alternating", lr=0.1, r1=0.0, name="minimax", theta=1.0, psi=0.0, **extra):
    """The 1D Dirac game: point G at theta, linear D(x) = psi x with no bias, plain SGD, batch 8."""
    sgd = {"name": "sgd", "lr": lr}
    return {"target": {"name": "dirac", "dim": 1}, "generator": {"kind": "point", "init": [theta]},
            "discriminator": {"kind": "linear", "init": [psi], "bias": False},
            "objective": {"name": name}, "regularizers": {"r1": r1}, "optimizer_g": sgd,
            "optimizer_d": sgd, "training": {"update": update, "batch_size": 8}, **extra}
