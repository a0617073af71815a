"""The API described as OpenAPI 3.1: what each route declares it answers (``documented``), and the
document generated from them (``make openapi``), published by the API itself."""

from __future__ import annotations

import inspect
import json
import re
from functools import cache
from http import HTTPStatus
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from imagegen import errors
from imagegen.api.errors import error_code
from imagegen.api.responses.envelope import ErrorEnvelope

BEARER_AUTH = "bearerAuth"
ERROR_CODES = "x-error-codes"
"""Where a documented error response lists the ``error.code`` values it may carry."""
DOCUMENT_PATH = Path(__file__).with_name("openapi.json")
"""The generated document (``make openapi``), shipped with the layer; ``docs/openapi.json`` links here."""
_JSON = "application/json"


def documented(
    success: type[BaseModel] | None,
    *refusals: type[errors.DomainError],
    summary: str,
    status: HTTPStatus = HTTPStatus.OK,
    public: bool = False,
) -> dict[str, Any]:
    """Route arguments describing what it answers: ``success`` (a model, or None for no body) with
    ``status``, and the domain errors it may refuse with. Whatever every route of its kind answers
    (401 unless ``public``, 422 for bad parameters, 400/413/415 for bodies, 500) the generator adds
    (``stacktools.openapi``)."""
    responses: dict[int, Any] = {
        status.value: (
            {"description": _first_paragraph(success), "content": {_JSON: {"model": success}}}
            if success is not None
            else {"description": "Done: no body."}
        )
    }
    for refusal in refusals:
        refused_with, code = error_code(refusal)
        codes = responses.setdefault(refused_with.value, _error_answer([]))[ERROR_CODES]
        if code not in codes:  # a user's rate limit and a busy wallet are both RATE_LIMITED
            codes.append(code)
    arguments: dict[str, Any] = {"summary": summary, "responses": responses}
    if not public:
        arguments["security"] = [{BEARER_AUTH: []}]
    return arguments


def documented_page(*, summary: str, page: str, missing: str, busy: str) -> dict[str, Any]:
    """Route arguments of a public HTML page: 200 ``page``, 404 ``missing`` and 429 ``busy`` (pages
    too, with ``Retry-After``). What the resolver answers for every route (500) is added as for any."""
    html = {"text/html": {"schema": {"type": "string"}}}
    return {
        "summary": summary,
        "responses": {
            HTTPStatus.OK.value: {"description": page, "content": html},
            HTTPStatus.NOT_FOUND.value: {"description": missing, "content": html},
            HTTPStatus.TOO_MANY_REQUESTS.value: {
                "description": busy,
                "content": html,
                "headers": {
                    "Retry-After": {
                        "description": "Seconds after which the same request may well succeed.",
                        "schema": {"type": "integer", "minimum": 1},
                    }
                },
            },
        },
    }


def _error_answer(codes: list[str]) -> dict[str, Any]:
    """A response in the error envelope, which may carry ``codes`` (the generator words it)."""
    return {"description": "", "content": {_JSON: {"model": ErrorEnvelope}}, ERROR_CODES: codes}


def _first_paragraph(model: type[BaseModel]) -> str:
    return (inspect.getdoc(model) or model.__name__).split("\n\n")[0].replace("\n", " ")


@cache
def published_document() -> str:
    """The OpenAPI document, as JSON text (read once per container)."""
    return DOCUMENT_PATH.read_text(encoding="utf-8")


def allowed_methods(path: str) -> list[str]:
    """The methods the document gives ``path`` (none: no such route). As in OpenAPI, a path written
    out (``/users/me``) is matched before a template (``/users/{id}``)."""
    matches = [(templated, methods) for templated, pattern, methods in _routes() if pattern.fullmatch(path)]
    return min(matches, key=lambda match: match[0], default=(False, []))[1]


@cache
def _routes() -> list[tuple[bool, re.Pattern[str], list[str]]]:
    """Each documented path as a pattern (a parameter is one segment), with its methods."""
    paths: dict[str, dict[str, Any]] = json.loads(published_document())["paths"]
    return [
        (
            "{" in path,
            re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path))),
            sorted(method.upper() for method in item),
        )
        for path, item in paths.items()
    ]
