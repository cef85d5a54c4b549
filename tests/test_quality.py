"""The package stays mypy --strict and ruff clean: CI runs the linters as part of the suite."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_mypy_strict_is_clean() -> None:
    """mypy --strict reports no error in the aioec2 package."""
    result = _run("mypy", "--strict", "--no-error-summary", "aioec2")
    assert "" == result.stdout.strip(), result.stdout
    assert 0 == result.returncode


def test_ruff_is_clean() -> None:
    """ruff finds no lint error in the package, the tests, the benchmarks or the noxfile."""
    result = _run(
        "ruff",
        "check",
        "--quiet",
        "aioec2",
        "tests",
        "benchmarks",
        "examples",
        "scripts",
        "noxfile.py",
    )
    assert "" == result.stdout.strip(), result.stdout
    assert 0 == result.returncode
