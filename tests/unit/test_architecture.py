"""The import rules of docs/architecture.md, held on every module of the layer and every function.

Read from the source (``ast``), not by importing: an import made only for type checking counts too,
because it is a dependency a reader has to follow all the same.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from stacktools.template import ROOT

LAYER = ROOT / "layers" / "shared"
FUNCTIONS = ROOT / "functions"

# The outside world's libraries: only adapters (and the composition that builds them) may use them.
SDKS = ("boto3", "botocore", "mypy_boto3_", "jwt", "stripe", "PIL", "pyvips", "requests", "google")
# The modules of imagegen.services that are ports (what a use case needs, in its own terms), which
# adapters implement and so may import; every other module there is a use case.
PORTS = {
    "imagegen.services.accounts",
    "imagegen.services.image_model",
    "imagegen.services.image_processing",
    "imagegen.services.image_records",
    "imagegen.services.object_store",
    "imagegen.services.orders",
    "imagegen.services.payment_gateway",
    "imagegen.services.share_records",
    "imagegen.services.unit_of_work",
    "imagegen.services.wallets",
    "imagegen.services.windows",
}
# What may never be imported, by area (a module's name starts with the area).
FORBIDDEN = {
    "imagegen.models": ("imagegen.services", "imagegen.adapters", "imagegen.repositories", "imagegen.api",
                        "imagegen.composition", "imagegen.aws", "imagegen.config", *SDKS),
    "imagegen.services": ("imagegen.adapters", "imagegen.repositories", "imagegen.api",
                          "imagegen.composition", "imagegen.aws", "imagegen.config", *SDKS),
    "imagegen.repositories": ("imagegen.adapters", "imagegen.api", "imagegen.composition", "imagegen.aws",
                              "imagegen.config"),
    "imagegen.adapters": ("imagegen.api", "imagegen.composition", "imagegen.repositories", "imagegen.config"),
    "imagegen.api": ("imagegen.adapters", "imagegen.repositories", "imagegen.composition", "imagegen.aws",
                     *SDKS),
}  # fmt: skip
# Modules in no area: the composition and what it reads (settings, AWS clients), and what every area
# may use (domain errors, ids, signing, the invocation's clock, metrics).
FOUNDATION = {
    "imagegen",
    "imagegen.composition",
    "imagegen.aws",
    "imagegen.config",
    "imagegen.errors",
    "imagegen.ids",
    "imagegen.invocation",
    "imagegen.metrics",
    "imagegen.signing",
}
# A function's app.py: its routes or its event handler, the use cases it is handed, and its composition.
FUNCTION_FORBIDDEN = ("imagegen.adapters", "imagegen.repositories", "imagegen.aws", *SDKS)


def module_name(path: Path) -> str:
    parts = path.relative_to(LAYER).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> Iterator[str]:
    """Every module ``path`` imports, absolute."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def breaks(name: str, forbidden: tuple[str, ...]) -> bool:
    return any(
        name == rule or name.startswith(rule if rule.endswith("_") else f"{rule}.") for rule in forbidden
    )


LAYER_MODULES = sorted((LAYER / "imagegen").rglob("*.py"))


@pytest.mark.parametrize("path", LAYER_MODULES, ids=lambda path: module_name(path))
def test_each_module_of_the_layer_imports_only_what_its_area_may(path: Path) -> None:
    name = module_name(path)
    if name in PORTS:
        area = "imagegen.services"
    else:
        area = next((area for area in FORBIDDEN if name == area or name.startswith(f"{area}.")), None)
    if area is None:
        assert name in FOUNDATION, f"{name} is in no area of docs/architecture.md"
        return
    wrong = sorted(
        target
        for target in imported(path)
        if breaks(target, FORBIDDEN[area])
        and not (area == "imagegen.adapters" and target.startswith("imagegen.services") and _a_port(target))
    )
    assert wrong == [], f"{name} ({area}) imports {wrong}"


def _a_port(target: str) -> bool:
    return any(target == port or target.startswith(f"{port}.") for port in PORTS)


@pytest.mark.parametrize("area", ["adapters", "repositories"])
def test_adapters_and_repositories_import_ports_and_never_a_use_case(area: str) -> None:
    for path in sorted((LAYER / "imagegen" / area).glob("*.py")):
        use_cases = [
            target
            for target in imported(path)
            if target.startswith("imagegen.services.") and not _a_port(target)
        ]
        assert use_cases == [], f"{module_name(path)} imports the use cases {use_cases}"


def test_only_the_functions_import_the_composition() -> None:
    composing = [
        module_name(path)
        for path in LAYER_MODULES
        if module_name(path) != "imagegen.composition"
        and any(breaks(target, ("imagegen.composition",)) for target in imported(path))
    ]
    assert composing == []


@pytest.mark.parametrize("path", sorted(FUNCTIONS.glob("*/app.py")), ids=lambda path: path.parent.name)
def test_a_function_imports_its_composition_its_use_cases_and_the_api_only(path: Path) -> None:
    targets = list(imported(path))
    wrong = sorted(target for target in targets if breaks(target, FUNCTION_FORBIDDEN))
    assert wrong == [], f"{path.parent.name} imports {wrong}"
    if path.parent.name != "health":  # the health check builds nothing but its settings
        assert "imagegen.composition" in targets


def test_the_rules_catch_what_they_forbid(tmp_path: Path) -> None:
    """A use case that catches botocore's errors is caught."""
    module = tmp_path / "use_case.py"
    module.write_text("from botocore.exceptions import ClientError\nimport imagegen.adapters.storage\n")

    found = [target for target in imported(module) if breaks(target, FORBIDDEN["imagegen.services"])]

    assert "botocore.exceptions" in found
    assert "imagegen.adapters.storage" in found
