"""The API's OpenAPI document, generated from the code: ``make openapi`` (``python -m stacktools.openapi``).

Each function's resolver describes its own routes (Powertools, from the handlers' signatures, models
and ``documented`` declarations); this merges them and adds what the shared resolver answers for every
route of a kind (bad JSON, a body too large or not JSON, a bad cursor, a missing token, 500), in the
error envelope. A test fails when the published document differs from what this generates.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Iterable
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

from imagegen import errors
from imagegen.api.errors import INTERNAL, INVALID_JSON, VALIDATION_ERROR, error_code
from imagegen.api.openapi import BEARER_AUTH, DOCUMENT_PATH, ERROR_CODES
from imagegen.api.resolver import ApiResolver
from imagegen.api.responses.envelope import ErrorEnvelope
from stacktools.template import Template

_JSON = "application/json"
_ENVELOPE_REF = "#/components/schemas/ErrorEnvelope"
_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds after which the same request may well succeed.",
        "schema": {"type": "integer", "minimum": 1},
    }
}


def generate(template: Template | None = None) -> str:
    """The document for the API functions of ``template``, as the JSON text that is published."""
    # Every route the API may have: the payments' too, which a stack has with Payments=enabled.
    template = template or Template.load({"GoogleClientId": "openapi", "Payments": "enabled"})
    api_functions = sorted({route.function for route in template.http_routes()})
    document = api_document(
        [_resolver(template, function) for function in api_functions],
        version=str(template.parameters["ServiceVersion"]),
    )
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _resolver(template: Template, function: str) -> ApiResolver:
    """The resolver of an API function, from its handler's module (loaded under a name of its own)."""
    globals_ = template.document.get("Globals", {}).get("Function", {})
    properties = {**globals_, **template.resources[function]["Properties"]}
    module_name = str(properties["Handler"]).rsplit(".", 1)[0]
    path = template.root / str(properties["CodeUri"]) / f"{module_name}.py"
    spec = importlib.util.spec_from_file_location(f"imagegen_function_{function}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    resolvers = [value for value in vars(module).values() if isinstance(value, ApiResolver)]
    if len(resolvers) != 1:
        raise ValueError(f"{function} has {len(resolvers)} API resolvers, not one")
    return resolvers[0]


def api_document(resolvers: Iterable[APIGatewayHttpResolver], version: str) -> dict[str, Any]:
    """One OpenAPI document for the routes of every function's resolver, completed with what the
    resolver answers for every route, in the error envelope."""
    head: dict[str, Any] = {
        "title": "imagegen API",
        "version": version,
        "openapi_version": "3.1.0",
        "summary": "Sign in with Google, hold coins, make and edit images with Gemini, keep a gallery.",
        "security_schemes": {BEARER_AUTH: HTTPBearer(bearerFormat="JWT")},
    }
    merge = OpenAPIMerge(**head, on_conflict="error")
    for resolver in resolvers:
        merge.add_schema(json.loads(resolver.get_openapi_json_schema(**head)))
    document: dict[str, Any] = json.loads(merge.get_openapi_json_schema())
    document["paths"] = dict(sorted(document["paths"].items()))  # by path, whichever function serves it
    for path, item in document["paths"].items():
        for method, operation in item.items():
            _complete(path, method, operation)
    components = document["components"]["schemas"]
    # Powertools' 422 and response validation error: ours is the envelope.
    for unused in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        components.pop(unused, None)
    envelope = ErrorEnvelope.model_json_schema(by_alias=True, ref_template="#/components/schemas/{model}")
    components.update(envelope.pop("$defs"), ErrorEnvelope=envelope)
    described: dict[str, Any] = _markdown(document)
    return described


def _markdown(node: Any) -> Any:
    """Docstrings quote code as ``this``; OpenAPI descriptions are Markdown, where it is `this`."""
    if isinstance(node, dict):
        return {key: _markdown(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_markdown(value) for value in node]
    if isinstance(node, str):
        return node.replace("``", "`")
    return node


def _complete(path: str, method: str, operation: dict[str, Any]) -> None:
    """Add to ``operation`` what the resolver answers for every route like it, sorted by status."""
    # Powertools names an operation <function><path>_<method>: the function's name is enough.
    suffix = re.sub(r"\W", "_", path) + "_" + method
    operation["operationId"] = operation["operationId"].removesuffix(suffix)
    responses: dict[str, Any] = {str(status): answer for status, answer in operation["responses"].items()}
    responses.get(str(HTTPStatus.NO_CONTENT.value), {}).pop("content", None)  # Powertools gives it one
    parameters = operation.get("parameters", [])
    for parameter in parameters:  # a parameter is absent or has a value: never JSON's null
        alternatives = parameter["schema"].pop("anyOf", None)
        if alternatives is not None:
            parameter["schema"].update(*(one for one in alternatives if one != {"type": "null"}))
    has_body = "requestBody" in operation
    automatic: list[tuple[HTTPStatus, str]] = []
    if has_body:
        automatic += [
            (HTTPStatus.BAD_REQUEST, INVALID_JSON),
            error_code(errors.TooLarge),
            error_code(errors.UnsupportedMediaType),
        ]
    if any(parameter["name"] == "cursor" for parameter in parameters):
        automatic.append(error_code(errors.BadRequest))
    if has_body or parameters:
        automatic.append((HTTPStatus.UNPROCESSABLE_ENTITY, VALIDATION_ERROR))
    else:
        responses.pop("422", None)  # nothing to validate: Powertools documents it for every route
    if operation.get("security"):
        # Every token is checked against its session and its user, who may be suspended.
        automatic += [
            error_code(errors.TokenExpired),
            error_code(errors.Unauthorized),
            error_code(errors.AccountSuspended),
        ]
    automatic.append((HTTPStatus.INTERNAL_SERVER_ERROR, INTERNAL))
    for status, code in automatic:
        answer = responses.get(str(status.value))
        if answer is None or ERROR_CODES not in answer:  # absent, or Powertools' own 422
            answer = responses[str(status.value)] = {"description": "", "content": {}, ERROR_CODES: []}
        if code not in answer[ERROR_CODES]:
            answer[ERROR_CODES].append(code)
    for status_text, answer in responses.items():
        if ERROR_CODES in answer:
            _describe_error(HTTPStatus(int(status_text)), answer)
    operation["responses"] = dict(sorted(responses.items()))


def _describe_error(status: HTTPStatus, answer: dict[str, Any]) -> None:
    codes: list[str] = sorted(answer[ERROR_CODES])
    answer[ERROR_CODES] = codes
    # Not ``status.phrase``: Python 3.13 renamed some (413, 422), and the document must not change
    # with the Python that generates it.
    answer["description"] = f"`error.code` is {' or '.join(f'`{code}`' for code in codes)}."
    answer["content"] = {
        _JSON: {
            "schema": {"$ref": _ENVELOPE_REF},
            "example": {
                "error": {"code": codes[0], "message": "What went wrong, for people.", "details": {}}
            },
        }
    }
    if status in (HTTPStatus.TOO_MANY_REQUESTS, HTTPStatus.CONFLICT):
        answer["headers"] = _RETRY_AFTER


def main() -> None:
    DOCUMENT_PATH.write_text(generate(), encoding="utf-8")
    print(f"wrote {DOCUMENT_PATH}")


if __name__ == "__main__":
    main()
