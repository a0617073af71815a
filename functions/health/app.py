"""GET /api/v1/health, the API's OpenAPI document, and the catch-all (`$default`): unknown routes get the
404 envelope."""

from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from imagegen.api.openapi import documented, published_document
from imagegen.api.resolver import API_PREFIX, build_api
from imagegen.api.responses.service import ApiDescription, HealthStatus
from imagegen.config import environment_settings

logger = Logger()
settings = environment_settings()  # read once; the health check builds nothing else
app = build_api(logger)


@app.get(
    f"{API_PREFIX}/health", **documented(HealthStatus, summary="Whether the service answers", public=True)
)
def health() -> dict[str, Any]:
    return HealthStatus(status="ok", version=settings.service.version).to_json()


@app.get(
    f"{API_PREFIX}/openapi.json",
    **documented(ApiDescription, summary="This API described as OpenAPI 3.1", public=True),
)
def openapi_document() -> Response[str]:
    return Response(HTTPStatus.OK, content_types.APPLICATION_JSON, published_document())


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
