"""GET /api/v1/health, and the API's catch-all (`$default`): unknown routes get the 404 envelope."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from imagegen.api.resolver import API_PREFIX, build_api
from imagegen.config import get_settings

logger = Logger()
app = build_api(logger)


@app.get(f"{API_PREFIX}/health")
def health() -> dict[str, str]:
    return {"status": "ok", "version": get_settings().service_version}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
