"""Query and path parameters shared by the routes."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query
from pydantic import BeforeValidator, WithJsonSchema

from imagegen.ids import ID_PATTERN, MAX_ID_LENGTH

ResourceId = Annotated[str, Path(min_length=1, max_length=MAX_ID_LENGTH, pattern=ID_PATTERN)]


def _whole_number(value: object) -> object:
    """A query integer is written in digits: ``20``, not ``20.0``, ``+20`` or `` 20``."""
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise ValueError("a whole number written in digits")
    return value


MAX_PAGE_LIMIT = 100
PageLimit = Annotated[
    int,
    Query(ge=1, le=MAX_PAGE_LIMIT),
    BeforeValidator(_whole_number),
    # Pydantic cannot fold the bounds into the schema of a value checked before it is an int.
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_PAGE_LIMIT}),
]
# How many recent prompts to list (GET /users/me/prompts): a short list to pick from, with no cursor.
MAX_RECENT_PROMPTS = 50
PromptLimit = Annotated[
    int,
    Query(ge=1, le=MAX_RECENT_PROMPTS),
    BeforeValidator(_whole_number),
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_RECENT_PROMPTS}),
]
Cursor = Annotated[str | None, Query(max_length=2048)]
# The start of an email address (an address is at most 254 characters).
EmailPrefix = Annotated[str | None, Query(min_length=1, max_length=254)]
# A client's key for a request it may send more than once (a retried click): acted on once.
IdempotencyKey = Annotated[str | None, Header(alias="idempotency-key", min_length=1, max_length=255)]
# The languages a browser asks for (`es-MX,es;q=0.9,en;q=0.8`): read, never refused (the sign-in that
# creates a user takes the best match among the service's languages, else the fallback).
AcceptLanguage = Annotated[
    str | None,
    Header(
        alias="accept-language",
        description="The languages the browser prefers; a first sign-in's user gets the best match of the"
        " service's languages (else the first of them).",
    ),
]
# The languages a visitor of a public page prefers: its words are in the best match of the service's
# languages (else the first of them); never refused.
PageLanguage = Annotated[
    str | None,
    Header(
        alias="accept-language",
        description="The languages the visitor prefers; the page's words are in the best match of the"
        " service's languages (else the first of them).",
    ),
]
