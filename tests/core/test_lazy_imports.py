"""
``import aioec2`` and a first call load only what they need; every public name still resolves.

The models, the waiter machinery and the credential sources are imported on first use (PEP 562
module ``__getattr__``). These tests run fresh interpreters, since the test process itself has
imported everything long ago.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

import aioec2
import aioec2.credentials
import aioec2.models
from aioec2 import _data, _operations
from aioec2.testing import FakeEC2

#: Modules that neither ``import aioec2`` nor a first ``describe_instances`` may import.
NOT_FOR_A_FIRST_CALL = (
    "aioec2.models.image",
    "aioec2.models.key_pair",
    "aioec2.models.region",
    "aioec2.models.security_group",
    "aioec2.models.tag",
    "aioec2.poller",
    "aioec2._core.waiters",
    "aioec2._credential_providers",
    "aioec2.bulk",
    # used only when EC2 refuses a request's time, or a retry delay is due
    "aioec2._core.skew",
    "aioec2._testmode",
    # typed answers parse with ElementTree; xmltodict reads only errors and request()'s
    "xmltodict",
    # standard modules aiohttp does not import: the shared-file parser, and what
    # importlib.resources brings along to read the shipped EC2 model
    "configparser",
    "uuid",  # ClientTokens: RunInstances and the like
    "importlib.resources",
    "zipfile",
)

PUBLIC_MODULES = (aioec2, aioec2.models, aioec2.credentials)

_FIRST_CALL = """
import asyncio, json, sys
import aiohttp

url, key, secret, instance_id = sys.argv[1:]
before = set(sys.modules)
import aioec2
imported = set(sys.modules)

async def main():
    async with aioec2.Session(
        region="us-east-1", endpoint_url=url, credentials=aioec2.Credentials(key, secret)
    ) as s:
        return await s.describe_instances(instance_ids=[instance_id])

[reservation] = asyncio.run(main())
print(json.dumps({
    "import": sorted(imported - before),
    "call": sorted(set(sys.modules) - imported),
    "id": reservation.instances[0].id,
}))
"""

_NAMES = """
import json, sys
import aioec2, aioec2.credentials, aioec2.models

listed = {m.__name__: sorted(set(m.__all__) - set(dir(m))) for m in (aioec2, aioec2.models)}
# Submodules an eager import used to leave as attributes are still reachable that way.
reached = (aioec2.models.security_group.IpPermission, aioec2.models.tag.Tag, aioec2.poller.Poller)
submodules = [f"{c.__module__}.{c.__qualname__}" for c in reached]
star = {}
for module in ("aioec2", "aioec2.models"):
    namespace = {}
    exec(f"from {module} import *", namespace)
    star[module] = sorted(set(sys.modules[module].__all__) - set(namespace))
names = {}
for module in (aioec2, aioec2.models, aioec2.credentials):
    for name in module.__all__:
        obj = getattr(module, name)
        cached = vars(module).get(name) is obj and getattr(module, name) is obj
        names[f"{module.__name__}.{name}"] = [f"{obj.__module__}.{obj.__qualname__}", cached]
out = {"not_in_dir": listed, "submodules": submodules, "not_starred": star, "names": names}
print(json.dumps(out))
"""


def _python(
    code: str, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> Any:
    proc = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    assert (0, "") == (proc.returncode, proc.stderr)
    return json.loads(proc.stdout)


def test_import_aioec2_leaves_the_other_models_and_the_waiters_alone() -> None:
    """``import aioec2`` imports the instance models (the usual first call) and nothing lazy."""
    loaded = _python(
        "import json, sys, asyncio, aiohttp\n"
        "before = set(sys.modules)\n"
        "import aioec2\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))"
    )
    assert "aioec2.models.instance" in loaded  # the check sees what it should
    assert [] == [name for name in NOT_FOR_A_FIRST_CALL if name in loaded]


async def test_a_first_describe_instances_imports_only_what_it_needs(fake_ec2: FakeEC2) -> None:
    """A fresh process's first DescribeInstances with explicit credentials imports nothing lazy."""
    credentials = fake_ec2.credentials or aioec2.Credentials("AKIDFAKEEC2", "fake-secret")
    async with aioec2.Session(
        region="us-east-1", endpoint_url=fake_ec2.url, credentials=credentials
    ) as session:
        image = (await session.describe_images())[0]
        instance_id = (await session.run_instances(image.id)).instances[0].id
    # The fake serves on this loop, so the child runs without blocking it.
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _FIRST_CALL,
        fake_ec2.url,
        credentials.access_key_id,
        credentials.secret_access_key,
        instance_id,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert (0, b"") == (proc.returncode, stderr)
    out = json.loads(stdout)
    assert instance_id == out["id"]
    loaded = out["import"] + out["call"]
    assert [] == [name for name in NOT_FOR_A_FIRST_CALL if name in loaded]


def test_every_public_name_resolves_as_an_eager_import_would() -> None:
    """In a fresh process, dir(), ``import *`` and attribute access see every public name."""
    out = _python(_NAMES)
    assert {"aioec2": [], "aioec2.models": []} == out["not_in_dir"]
    assert [
        "aioec2.models.security_group.IpPermission",
        "aioec2.models.tag.Tag",
        "aioec2.poller.Poller",
    ] == out["submodules"]
    assert {"aioec2": [], "aioec2.models": []} == out["not_starred"]
    expected = {
        f"{module.__name__}.{name}": [
            f"{getattr(module, name).__module__}.{getattr(module, name).__qualname__}",
            True,
        ]
        for module in PUBLIC_MODULES
        for name in module.__all__
    }
    assert expected == out["names"]


@pytest.mark.parametrize("module", PUBLIC_MODULES, ids=lambda m: m.__name__)
def test_lazy_names_are_the_defining_modules_classes(module: Any) -> None:
    """Each lazily exported name is the very object its defining module holds."""
    for name in module.__all__:
        obj = getattr(module, name)
        assert obj is getattr(sys.modules[obj.__module__], obj.__qualname__)


@pytest.mark.parametrize("module", PUBLIC_MODULES, ids=lambda m: m.__name__)
def test_an_unknown_name_is_still_an_attribute_error(module: Any) -> None:
    """A name nobody exports raises AttributeError (so hasattr and ``from ... import`` work)."""
    missing = "NoSuchName"
    with pytest.raises(AttributeError, match=f"has no attribute '{missing}'"):
        getattr(module, missing)
    assert not hasattr(module, missing)


def test_the_model_data_loads_from_a_zipped_package(tmp_path: Path) -> None:
    """Installed as a zip, aioec2 still finds its EC2 model (through the zip loader)."""
    package = Path(aioec2.__file__).parent
    archive = tmp_path / "aioec2.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted(package.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                zipped.write(path, Path("aioec2") / path.relative_to(package))
    out = _python(
        "import json, aioec2, aioec2._operations as o\n"
        "print(json.dumps([aioec2.__file__, o.service_model().operation_names]))",
        env={**os.environ, "PYTHONPATH": str(archive)},
        cwd=tmp_path,  # not the checkout, whose aioec2 would come first
    )
    assert str(archive) == out[0][: len(str(archive))]
    assert list(_operations.service_model().operation_names) == out[1]


class _ResourcesOnly:
    """A package loader that serves importlib.resources but has no ``get_data``."""

    def __init__(self, loader: Any) -> None:
        self._loader = loader

    def get_resource_reader(self, name: str) -> Any:
        return self._loader.get_resource_reader(name)


def test_the_model_data_loads_through_importlib_resources_without_get_data(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A loader without ``get_data`` still gives the same model text, via importlib.resources."""
    expected = _operations._read_data(_operations._MODEL_FILE)
    monkeypatch.setattr(_data.__spec__, "loader", _ResourcesOnly(_data.__spec__.loader))
    assert expected == _operations._read_data(_operations._MODEL_FILE)
