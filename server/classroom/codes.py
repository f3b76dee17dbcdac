"""Join codes: 10 characters of Crockford's base32 (no I, L, O, U), 50 bits from `secrets`, shown
as two groups of five ("K3JX9-QPZ2A"). Typed codes are read leniently: any case, dashes and
spaces ignored, and the letters people confuse with digits read as those digits (O -> 0, I/L -> 1).
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # 32 symbols: 5 bits each
LENGTH = 10  # 50 bits: guessing one live code of a few takes ~10^14 tries (the rate limit allows 60/s)
_CONFUSED = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normalize(text: str) -> str | None:
    """The canonical form of a typed code, or None when it cannot be one."""
    raw = "".join(text.split()).replace("-", "").upper().translate(_CONFUSED)
    if len(raw) != LENGTH or any(c not in ALPHABET for c in raw):
        return None
    return f"{raw[:5]}-{raw[5:]}"
