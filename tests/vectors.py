"""Where the shared AWS test vectors live; tests that need them skip cleanly without them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

#: ../shared/vectors beside the repository (AIOEC2_VECTORS overrides). Never copied in.
VECTORS_DIR = Path(
    os.environ.get("AIOEC2_VECTORS", Path(__file__).resolve().parents[2] / "shared" / "vectors")
)


def vectors_path(*parts: str) -> Path:
    """Return a path under the vectors folder, skipping the calling test when it is missing."""
    path = VECTORS_DIR.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"test vectors not found at {path} (they live in ../shared/vectors)")
    return path
