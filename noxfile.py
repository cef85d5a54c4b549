"""Developer tasks: ``nox -s tests``, ``nox -s lint``, ``nox -s typing``, ``nox -s bench``."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "typing"]
nox.options.reuse_existing_virtualenvs = True


@nox.session(python="3.11")
def tests(session: nox.Session) -> None:
    """Run the test suite with branch coverage."""
    session.install("-e", ".[test]")
    session.run("coverage", "run", "-m", "pytest", *session.posargs)
    session.run("coverage", "report", "--skip-covered", "--show-missing")


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    """Check style and common bugs with ruff."""
    session.install("ruff")
    session.run(
        "ruff", "check", "aioec2", "tests", "benchmarks", "examples", "scripts", "noxfile.py"
    )
    session.run(
        "ruff",
        "format",
        "--check",
        "aioec2",
        "tests",
        "benchmarks",
        "examples",
        "scripts",
        "noxfile.py",
    )


@nox.session(python="3.11")
def typing(session: nox.Session) -> None:
    """Type-check the package strictly."""
    session.install("-e", ".", "mypy")
    session.run("mypy", "--strict", "aioec2")


@nox.session(python="3.11")
def bench(session: nox.Session) -> None:
    """
    Run the side-by-side benchmarks; ``nox -s bench -- --quick`` for a short run.

    Installs what the benchmarks compare aioec2 with (aiobotocore, boto3; xmltodict and
    aiohttp come with aioec2). nginx serves the canned answers when it is on the PATH, else a
    small Python server does. A full run writes benchmarks/RESULTS.md.
    """
    session.install("-e", ".", "aiobotocore", "boto3")
    session.run("python", "benchmarks/run.py", *session.posargs)
