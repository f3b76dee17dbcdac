"""`python -m gan_core run|presets|claims|reproduce ...`: the headless CLI without the web stack."""

import sys

from gan_core.cli import main

if __name__ == "__main__":
    sys.exit(main())
