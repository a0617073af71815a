"""The front end calls the API through one module of named operations (web/api.js), held here to the
API's document (docs/openapi.json): each operation it declares is one of the document's, by its
operationId, with the document's method, path and query parameters, sent with the token exactly
where the document asks for one and with an Idempotency-Key where it takes one. No other file of the
page writes a path of the API or a header."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from stacktools.template import ROOT

WEB = ROOT / "web"
API = WEB / "api.js"
SOURCE = API.read_text(encoding="utf-8")
DOCUMENT = json.loads((ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))
PREFIX = "/api/v1"


def declared() -> dict[str, dict[str, Any]]:
    """web/api.js's OPERATIONS, one operation a line: ``name: { method: ..., path: ..., ... },``."""
    block = re.search(r"^const OPERATIONS = \{\n(?P<lines>.*?)^\};$", SOURCE, re.MULTILINE | re.DOTALL)
    assert block, "web/api.js declares its operations in `const OPERATIONS = { ... };`"
    found = {}
    for line in block["lines"].splitlines():
        entry = re.fullmatch(r"  (?P<name>\w+): (?P<object>\{ .* \}),", line)
        assert entry, f"not one operation a line: {line!r}"
        # The object literal as JSON: its keys quoted (no value holds a colon).
        found[entry["name"]] = json.loads(re.sub(r"(\w+): ", r'"\1": ', entry["object"]))
    return found


def document_operations() -> dict[str, tuple[str, str, dict[str, Any]]]:
    """operationId -> (METHOD, path, the operation)."""
    return {
        operation["operationId"]: (method.upper(), path, operation)
        for path, item in DOCUMENT["paths"].items()
        for method, operation in item.items()
    }


OPERATIONS = declared()
DOCUMENTED = document_operations()


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def parameters(operation: dict[str, Any], where: str) -> set[str]:
    return {parameter["name"] for parameter in operation.get("parameters", []) if parameter["in"] == where}


def test_the_module_declares_the_operations_the_page_calls() -> None:
    assert len(OPERATIONS) > 10
    assert {"generate", "listImages", "signInWithGoogle", "checkout"} <= set(OPERATIONS)


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_an_operation_is_the_documents_of_its_name(name: str) -> None:
    declaration = OPERATIONS[name]
    assert snake(name) in DOCUMENTED, f"{name}: no operation {snake(name)!r} in docs/openapi.json"
    method, path, operation = DOCUMENTED[snake(name)]

    assert set(declaration) <= {"method", "path", "query", "anonymous", "idempotent"}
    assert declaration["method"] == method
    assert PREFIX + declaration["path"] == path
    assert set(declaration.get("query", [])) == parameters(operation, "query")
    assert declaration.get("anonymous", False) == ("security" not in operation), (
        "the token where it is asked for"
    )
    takes_key = "idempotency-key" in {name.lower() for name in parameters(operation, "header")}
    assert declaration.get("idempotent", False) == takes_key


def test_every_operation_called_is_declared_and_every_declared_one_called() -> None:
    called = set(re.findall(r"""this\.operation\("(\w+)"|OPERATIONS\.(\w+)""", SOURCE))
    names = {first or second for first, second in called}

    assert names == set(OPERATIONS)


def test_a_method_of_one_operation_is_named_as_it() -> None:
    methods = re.findall(r"^  (\w+)\([^)]*\) \{\n    return this\.operation\(\"(\w+)\"", SOURCE, re.MULTILINE)

    assert len(methods) > 10
    assert [method for method, operation in methods if method != operation] == []


def page_files() -> list[Path]:
    """The page's scripts and templates, but the API's module and the vendored libraries."""
    return sorted(
        path
        for pattern in ("*.js", "*.template.html")
        for path in WEB.rglob(pattern)
        if path != API and WEB / "vendor" not in path.parents
    )


# What only web/api.js may write: the API's paths, its headers, its raw request.
WRITTEN_BY_THE_API_MODULE = re.compile(
    r"/api/v1|Authorization|Bearer |Content-Type|Idempotency-Key|\.request\(", re.IGNORECASE
)


@pytest.mark.parametrize("path", page_files(), ids=lambda path: path.relative_to(ROOT).as_posix())
def test_no_other_file_writes_a_path_of_the_api_or_a_header(path: Path) -> None:
    text = path.read_text(encoding="utf-8")

    found = [match.group(0) for match in WRITTEN_BY_THE_API_MODULE.finditer(text)]
    assert found == [], f"{path.name} writes {found}: call a named operation of web/api.js"


def test_the_components_are_among_the_files_checked() -> None:
    checked = set(page_files())
    components = set((WEB / "components").glob("*.js"))

    assert components
    assert components <= checked


@pytest.mark.parametrize(
    "path",
    [
        path
        for path in page_files()
        if path.suffix == ".js"
        and path.name != "store.js"
        and "state.api." in path.read_text(encoding="utf-8")
    ],
    ids=lambda path: path.relative_to(ROOT).as_posix(),
)
def test_a_file_calling_the_api_imports_the_pages_state(path: Path) -> None:
    """The operations are called on ``state.api``: a file calling them imports ``state`` (store.js has it)."""
    imported = re.findall(
        r"^import \{([^}]*)\} from \"[./]+store\.js\";", path.read_text(encoding="utf-8"), re.M
    )

    assert "state" in {name.strip() for names in imported for name in names.split(",")}
