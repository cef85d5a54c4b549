"""
Regenerate ``aioec2/_data/ec2-2016-11-15.json`` from botocore's EC2 service model.

A development tool, not part of the package: it needs botocore installed
(``pip install botocore``) and keeps only the operations aioec2 types, the shapes they
reach, and the traits the wire needs (no documentation, enums or validation bounds).
botocore's data is Apache-2.0; see ``aioec2/_data/NOTICE``.

Usage: ``python scripts/trim_ec2_model.py``
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import botocore
import botocore.loaders

OPERATIONS = [
    "AuthorizeSecurityGroupIngress",
    "CreateKeyPair",
    "CreateSecurityGroup",
    "CreateTags",
    "DeleteKeyPair",
    "DeleteSecurityGroup",
    "DeleteTags",
    "DescribeAvailabilityZones",
    "DescribeImageAttribute",
    "DescribeImages",
    "DescribeInstances",
    "DescribeKeyPairs",
    "DescribeRegions",
    "DescribeSecurityGroups",
    "DescribeTags",
    "ImportKeyPair",
    "ModifyImageAttribute",
    "RebootInstances",
    "ResetImageAttribute",
    "RevokeSecurityGroupIngress",
    "RunInstances",
    "StartInstances",
    "StopInstances",
    "TerminateInstances",
]

# Traits that only document or validate; the wire format needs none of them.
_DROP = {
    "documentation",
    "deprecated",
    "deprecatedMessage",
    "box",
    "enum",
    "min",
    "max",
    "pattern",
    "sensitive",
    "exception",
    "error",
    "fault",
}

OUT = Path(__file__).resolve().parents[1] / "aioec2" / "_data" / "ec2-2016-11-15.json"


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in _DROP}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def main() -> None:
    """Write the trimmed model next to the package's other data."""
    model = botocore.loaders.Loader().load_service_model("ec2", "service-2", "2016-11-15")
    shapes = model["shapes"]
    needed: set[str] = set()

    def walk(name: str) -> None:
        if name in needed:
            return
        needed.add(name)
        spec = shapes[name]
        for ref in spec.get("members", {}).values():
            walk(ref["shape"])
        for key in ("member", "key", "value"):
            if key in spec:
                walk(spec[key]["shape"])

    operations = {}
    for name in OPERATIONS:
        op = model["operations"][name]
        operations[name] = _strip({k: op[k] for k in ("name", "input", "output") if k in op})
        for key in ("input", "output"):
            if key in op:
                walk(op[key]["shape"])
    trimmed = {
        "metadata": {
            "apiVersion": model["metadata"]["apiVersion"],
            "protocol": model["metadata"]["protocol"],
            "source": f"botocore {botocore.__version__} data/ec2/2016-11-15/service-2.json",
        },
        "operations": operations,
        "shapes": {name: _strip(shapes[name]) for name in sorted(needed)},
    }
    OUT.write_text(json.dumps(trimmed, separators=(",", ":"), sort_keys=True) + "\n")
    print(f"wrote {OUT} ({len(operations)} operations, {len(needed)} shapes)")


if __name__ == "__main__":
    main()
