"""EC2's operations as data: the trimmed service model shipped in ``aioec2/_data``."""

from __future__ import annotations

import functools
import json
import os

from aioec2 import _data
from aioec2._core.service_model import ServiceModel
from aioec2._core.shapes import Operation, Shape

__all__ = ["operation", "service_model", "shape"]

_MODEL_FILE = "ec2-2016-11-15.json"


@functools.cache
def service_model() -> ServiceModel:
    """Load the shipped EC2 model once (about 65 kB of JSON; shapes are built on demand)."""
    return ServiceModel(json.loads(_read_data(_MODEL_FILE)))


def _read_data(name: str) -> str:
    # What pkgutil.get_data does: ask the package's loader, which reads from a directory or a
    # zip alike. importlib.resources would import zipfile and its readers first, a few ms of
    # a cold start; it remains the way for a loader without get_data.
    get_data = getattr(_data.__spec__.loader, "get_data", None)
    if get_data is None or _data.__file__ is None:
        from importlib import resources  # noqa: PLC0415 - rarely needed

        return resources.files(_data).joinpath(name).read_text(encoding="utf-8")
    data: bytes = get_data(os.path.join(os.path.dirname(_data.__file__), name))
    return data.decode("utf-8")


def operation(name: str) -> Operation:
    """Return the typed description of EC2 action ``name`` (e.g. ``"DescribeInstances"``)."""
    return service_model().operation(name)


def shape(name: str) -> Shape:
    """Return a named shape of the EC2 model (e.g. ``"Instance"``)."""
    return service_model().shape(name)
