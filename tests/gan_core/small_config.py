"""A small, fast experiment for engine tests: 1×16 MLPs, batch 64 (shared by several test files)."""

SMALL = {"generator": {"depth": 1, "width": 16}, "discriminator": {"depth": 1, "width": 16},
         "training": {"batch_size": 64}}


def small_cfg(**sections):
    """SMALL with `sections` merged in (dict sections merge key by key, others replace)."""
    out = {k: dict(v) for k, v in SMALL.items()}
    for k, v in sections.items():
        out[k] = {**out.get(k, {}), **v} if isinstance(v, dict) else v
    return out
