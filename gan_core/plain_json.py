"""NaN and infinities as null: strict JSON has no spelling for them (the CLI's --json, saved
studies, the server's messages and frame headers all go through `json_safe`)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def json_safe(obj: Any, short: bool = False) -> Any:
    """A copy of `obj` fit for strict JSON: non-finite floats -> None, numpy scalars -> Python
    numbers, tuples -> lists; `short`: floats rounded to 6 significant digits (frame headers)."""
    if isinstance(obj, float | np.floating):
        x = float(obj)
        if not math.isfinite(x):
            return None
        return float(f"{x:.6g}") if short else x
    if isinstance(obj, dict):
        return {str(k): json_safe(v, short) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_safe(v, short) for v in obj]
    if isinstance(obj, np.integer):
        return int(obj)
    return obj
