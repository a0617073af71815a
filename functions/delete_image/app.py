"""DELETE /api/v1/images/{id}: the image's files, then its record."""

from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from imagegen.api.auth import AuthenticatedCaller
from imagegen.api.openapi import documented
from imagegen.api.params import ResourceId
from imagegen.api.resolver import API_PREFIX, build_api
from imagegen.composition import Composition
from imagegen.errors import Busy, NotFound
from imagegen.services.images import ImageService

logger = Logger()
composition = Composition()  # each part built when a request first needs it
app = build_api(logger, authenticator_of=lambda: composition.auth, invocation=composition.invocation)


def image_service() -> ImageService:
    return composition.images


Images = Annotated[ImageService, Depends(image_service)]


@app.delete(
    f"{API_PREFIX}/images/<image_id>",
    **documented(None, NotFound, Busy, summary="Delete an image and its files", status=HTTPStatus.NO_CONTENT),
)
def delete_image(caller: AuthenticatedCaller, image_id: ResourceId, images: Images) -> Response[str]:
    images.delete(caller, image_id)
    return Response(status_code=204, body="")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
