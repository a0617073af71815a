"""The HTTP resolver every API function uses, with the error envelope wired in once."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.utilities.typing import LambdaContext

from imagegen.api.auth import Authenticator, authenticator, check_caller_first
from imagegen.api.bodies import body_text, parse_json
from imagegen.api.errors import (
    INTERNAL,
    INVALID_JSON,
    METHOD_NOT_ALLOWED,
    NOT_FOUND,
    VALIDATION_ERROR,
    domain_error_response,
    error_response,
    field_errors,
)
from imagegen.api.openapi import allowed_methods
from imagegen.errors import DomainError, TooLarge, UnsupportedMediaType
from imagegen.invocation import Invocation

API_PREFIX = "/api/v1"
MAX_REQUEST_BODY_BYTES = 64 * 1024
_JSON = re.compile(r"^application/json\s*(;.*)?$")


class ApiResolver(APIGatewayHttpResolver):
    """The HTTP API resolver, refusing bodies that are too large or not JSON before anything parses them."""

    def __init__(self, invocation: Invocation, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(enable_validation=True, json_body_deserializer=parse_json)
        self._invocation = invocation
        self._headers = dict(headers or {})

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        response = self._answer(event, context)
        # Every answer names its request (API Gateway's id, as the logs do), so a client can quote it.
        request_id = (event.get("requestContext") or {}).get("requestId")
        response["headers"] = {
            **(response.get("headers") or {}),
            **self._headers,
            **({"x-request-id": request_id} if request_id else {}),
        }
        return response

    def _answer(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        body = body_text(event)
        headers = event.get("headers") or {}
        content_type = headers.get("content-type", "").lower()  # media types are case-insensitive
        if len(body.encode("utf-8", "surrogatepass")) > MAX_REQUEST_BODY_BYTES:
            return _refused(TooLarge(f"The request body is over {MAX_REQUEST_BODY_BYTES} bytes."))
        if body and content_type and not _JSON.match(content_type):
            return _refused(
                UnsupportedMediaType("Request bodies are JSON: send Content-Type: application/json.")
            )
        # Powertools compares the content type case-sensitively, and decodes base64 bodies as
        # strict UTF-8 (a 500 for any other bytes): hand it text that ``parse_json`` judges.
        event = {**event, "body": body or None, "isBase64Encoded": False}
        if content_type:
            event["headers"] = {**headers, "content-type": content_type}
        self._invocation.start(context)
        return super().resolve(event, context)


def _refused(error: DomainError) -> dict[str, Any]:
    """The whole proxy response for a request refused before routing."""
    response = domain_error_response(error)
    return {
        "statusCode": response.status_code,
        "headers": {"Content-Type": content_types.APPLICATION_JSON},
        "body": json.dumps(response.body, separators=(",", ":")),
        "isBase64Encoded": False,
    }


def build_api(
    logger: Logger,
    *,
    authenticator_of: Callable[[], Authenticator] | None = None,
    invocation: Invocation | None = None,
    headers: Mapping[str, str] | None = None,
) -> ApiResolver:
    """An HTTP API resolver with validation, and every failure answered in the error envelope.

    ``authenticator_of`` gives the routes' callers their ``Authenticator`` (an API with no signed-in
    route needs none); ``invocation`` is started with each request's Lambda context; ``headers`` go
    on every answer, errors and refusals included (``Cache-Control: no-store``, say).
    """
    app = ApiResolver(invocation if invocation is not None else Invocation(), headers)
    if authenticator_of is not None:
        app.dependency_overrides[authenticator] = authenticator_of

    @app.exception_handler(DomainError)
    def _domain_error(error: DomainError) -> Response[Any]:
        return domain_error_response(error)

    @app.exception_handler(RequestValidationError)
    def _invalid_request(error: RequestValidationError) -> Response[Any]:
        # Who may call a route is answered before what is wrong with the request.
        try:
            check_caller_first(
                app.context.get("_route"),
                app.current_event,
                app.dependency_overrides.get(authenticator, authenticator),
            )
        except DomainError as refused:
            return domain_error_response(refused)
        errors = list(error.errors())
        if any(item.get("type") == "json_invalid" for item in errors):
            return error_response(HTTPStatus.BAD_REQUEST, INVALID_JSON, "The request body is not valid JSON.")
        return error_response(
            HTTPStatus.UNPROCESSABLE_ENTITY,
            VALIDATION_ERROR,
            "The request is not valid.",
            {"fields": field_errors(errors)},
        )

    @app.not_found
    def _no_route(_: NotFoundError) -> Response[Any]:
        event = app.current_event
        allowed = allowed_methods(event.path)
        if allowed:  # a route of the API, asked with another method
            return error_response(
                HTTPStatus.METHOD_NOT_ALLOWED,
                METHOD_NOT_ALLOWED,
                f"{event.path} answers {', '.join(allowed)}, not {event.http_method}.",
                headers={"Allow": ", ".join(allowed)},
            )
        return error_response(
            HTTPStatus.NOT_FOUND, NOT_FOUND, f"No route for {event.http_method} {event.path}."
        )

    @app.exception_handler(Exception)
    def _unhandled(_error: Exception) -> Response[Any]:
        request_id = app.current_event.request_context.request_id
        logger.exception("unhandled error", extra={"api_request_id": request_id})
        return error_response(
            HTTPStatus.INTERNAL_SERVER_ERROR,
            INTERNAL,
            "Something went wrong on our side.",
            {"requestId": request_id},
        )

    return app
