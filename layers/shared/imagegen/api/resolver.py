"""The HTTP resolver every API function uses, with the error envelope wired in once."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from imagegen.api.errors import domain_error_response, error_response, field_errors
from imagegen.errors import DomainError, TooLarge

API_PREFIX = "/api/v1"
MAX_REQUEST_BODY_BYTES = 64 * 1024


def _limit_body_size(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
    body = app.current_event.body or ""
    if len(body) > MAX_REQUEST_BODY_BYTES:
        raise TooLarge(f"The request body is over {MAX_REQUEST_BODY_BYTES} bytes.")
    return next_middleware(app)


def build_api(logger: Logger) -> APIGatewayHttpResolver:
    """An HTTP API resolver with validation, and every failure answered in the error envelope."""
    app = APIGatewayHttpResolver(enable_validation=True)
    app.use(middlewares=[_limit_body_size])

    @app.exception_handler(DomainError)
    def _domain_error(error: DomainError) -> Response[Any]:
        return domain_error_response(error)

    @app.exception_handler(RequestValidationError)
    def _invalid_request(error: RequestValidationError) -> Response[Any]:
        errors = list(error.errors())
        if any(item.get("type") == "json_invalid" for item in errors):
            return error_response(HTTPStatus.BAD_REQUEST, "INVALID_JSON", "The request body is not valid JSON.")
        return error_response(
            HTTPStatus.UNPROCESSABLE_ENTITY,
            "VALIDATION_ERROR",
            "The request is not valid.",
            {"fields": field_errors(errors)},
        )

    @app.not_found
    def _no_route(_: NotFoundError) -> Response[Any]:
        event = app.current_event
        return error_response(
            HTTPStatus.NOT_FOUND, "NOT_FOUND", f"No route for {event.http_method} {event.path}."
        )

    @app.exception_handler(Exception)
    def _unhandled(error: Exception) -> Response[Any]:
        request_id = app.current_event.request_context.request_id
        logger.exception("unhandled error", extra={"api_request_id": request_id})
        return error_response(
            HTTPStatus.INTERNAL_SERVER_ERROR,
            "INTERNAL",
            "Something went wrong on our side.",
            {"requestId": request_id},
        )

    return app
