"""``python -m aioec2``: the command line of :mod:`aioec2.cli` (``python -m aioec2 demo``)."""

from __future__ import annotations

import sys

from aioec2.cli import main

if __name__ == "__main__":
    sys.exit(main())
