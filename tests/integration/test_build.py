"""What ``sam build`` ships: the layer (its wheels for Lambda's platform, fetched from PyPI) and each
function, with bytecode of the deployed runtime's Python that Lambda uses from a read-only directory."""

from __future__ import annotations

import importlib.util
import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from stacktools.build import build, build_layer, runtime_version
from stacktools.template import ROOT, load_template

UNCHECKED_HASH = 0b01  # PEP 552 flags: hash-based, source not checked


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return load_template()


@pytest.fixture(scope="module")
def runtime() -> str:
    """The Python version the template deploys, such as ``3.13``."""
    return runtime_version()


@pytest.fixture(scope="module")
def layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared layer as ``sam build`` makes it: the directory unpacked at /opt/python."""
    return build_layer(tmp_path_factory.mktemp("layer")) / "python"


def bytecode_of(source: Path) -> bytes:
    cached = Path(importlib.util.cache_from_source(str(source)))
    assert cached.is_file(), f"no bytecode for {source}"
    return cached.read_bytes()


def assert_unchecked_bytecode(source: Path) -> None:
    """Bytecode of this interpreter's version, used without looking at the source's time."""
    data = bytecode_of(source)
    assert data[:4] == importlib.util.MAGIC_NUMBER, f"{source}: bytecode of another Python version"
    assert int.from_bytes(data[4:8], "little") == UNCHECKED_HASH, f"{source}: not an unchecked-hash pyc"
    assert data[8:16] == importlib.util.source_hash(source.read_bytes()), f"{source}: from other code"


def test_the_tests_run_on_the_python_the_template_deploys(runtime: str) -> None:
    assert f"{sys.version_info.major}.{sys.version_info.minor}" == runtime, (
        "make creates .venv with infra/find-python"
    )


def test_the_build_defaults_to_the_template_runtime(document: dict[str, Any], runtime: str) -> None:
    layer = document["Resources"]["SharedLayer"]["Properties"]
    assert layer["CompatibleRuntimes"] == [f"python{runtime}"]
    makefiles = [ROOT / "layers" / "shared" / "Makefile", *sorted((ROOT / "functions").glob("*/Makefile"))]
    for makefile in makefiles:
        defaults = re.findall(r"^LAMBDA_PYTHON \?= (\S+)$", makefile.read_text(), re.MULTILINE)
        assert defaults == [runtime], makefile


def test_every_module_of_the_layer_ships_its_bytecode(layer: Path) -> None:
    sources = sorted(layer.rglob("*.py"))
    assert any(path.match("imagegen/composition.py") for path in sources)
    assert any(path.match("pydantic/main.py") for path in sources)
    for source in sources:
        assert_unchecked_bytecode(source)


def test_python_loads_the_layer_from_its_bytecode_in_a_read_only_directory(layer: Path) -> None:
    for path in [layer, *layer.rglob("*")]:  # as /opt is in Lambda
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    probe = "import imagegen.ids, certifi"  # ours and a dependency's, pure Python (the rest is for arm64)
    completed = subprocess.run(  # noqa: S603 - this interpreter on our own layer
        [sys.executable, "-v", "-c", probe],
        env={"PATH": os.environ["PATH"], "PYTHONPATH": str(layer)},
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = re.findall(r"^# code object from '(.+)'$", completed.stderr, re.MULTILINE)
    for module in ("imagegen/__init__.py", "imagegen/ids.py", "certifi/__init__.py"):
        assert str(Path(importlib.util.cache_from_source(str(layer / module)))) in loaded, module


def test_every_function_ships_its_handler_with_bytecode(
    document: dict[str, Any], runtime: str, tmp_path: Path
) -> None:
    functions = {
        logical_id: resource["Properties"]
        for logical_id, resource in document["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }
    assert len(functions) > 5
    for logical_id, properties in functions.items():
        artifacts = build(f"build-{logical_id}", ROOT / properties["CodeUri"], tmp_path / logical_id)
        assert_unchecked_bytecode(artifacts / "app.py")
