"""The headless command line: `toygan run|presets|claims|reproduce|sweep ...` (also `python -m gan_core ...`).

One parser and one error path for every command (gan_core.cli.main); each command's options and
work live in its own module here. Bad input prints one line `toygan: error: FIELD: REASON` on
stderr and exits 2, never a traceback.
"""

from gan_core.cli.main import main

__all__ = ["main"]
