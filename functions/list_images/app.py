"""The caller's images."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from imagegen.api.auth import AuthenticatedCaller
from imagegen.api.params import Cursor, PageLimit, ResourceId
from imagegen.api.resolver import API_PREFIX, build_api
from imagegen.container import services

logger = Logger()
app = build_api(logger)


@app.get(f"{API_PREFIX}/images")
def list_images(caller: AuthenticatedCaller, limit: PageLimit = 20, cursor: Cursor = None) -> dict[str, Any]:
    page = services().images.list_page(caller, limit, cursor)
    return {"images": [image.to_json() for image in page.images], "nextCursor": page.next_cursor}


@app.get(f"{API_PREFIX}/images/<image_id>")
def get_image(caller: AuthenticatedCaller, image_id: ResourceId) -> dict[str, Any]:
    images = services().images
    return {"image": images.view(images.get(caller, image_id)).to_json()}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
