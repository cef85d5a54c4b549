"""EC2's operations as data: the trimmed service model shipped in ``aioec2/_data``."""

from __future__ import annotations

import functools
import json
from importlib import resources

from aioec2._core.service_model import ServiceModel
from aioec2._core.shapes import Operation, Shape

__all__ = ["operation", "service_model", "shape"]

_MODEL_FILE = "ec2-2016-11-15.json"


@functools.cache
def service_model() -> ServiceModel:
    """Load the shipped EC2 model once (about 65 kB of JSON; shapes are built on demand)."""
    text = resources.files("aioec2._data").joinpath(_MODEL_FILE).read_text(encoding="utf-8")
    return ServiceModel(json.loads(text))


def operation(name: str) -> Operation:
    """Return the typed description of EC2 action ``name`` (e.g. ``"DescribeInstances"``)."""
    return service_model().operation(name)


def shape(name: str) -> Shape:
    """Return a named shape of the EC2 model (e.g. ``"Instance"``)."""
    return service_model().shape(name)
