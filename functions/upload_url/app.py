"""POST /api/v1/images/upload: charge the upload, record the image, and sign a POST for the browser."""

from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from imagegen.api.auth import AuthenticatedCaller
from imagegen.api.openapi import documented
from imagegen.api.resolver import API_PREFIX, build_api
from imagegen.api.responses.images import UploadAccepted
from imagegen.api.views import ImageViews
from imagegen.composition import Composition
from imagegen.errors import Busy, InsufficientCoins, RateLimited, TooLarge, UnsupportedMediaType
from imagegen.models.images import UploadRequest
from imagegen.models.users import UserView
from imagegen.services.uploads import UploadService

logger = Logger()
composition = Composition()  # each part built when a request first needs it
app = build_api(logger, authenticator_of=lambda: composition.auth, invocation=composition.invocation)


def upload_service() -> UploadService:
    return composition.uploads


def image_views() -> ImageViews:
    return composition.image_views


Uploads = Annotated[UploadService, Depends(upload_service)]
Views = Annotated[ImageViews, Depends(image_views)]


@app.post(
    f"{API_PREFIX}/images/upload",
    **documented(
        UploadAccepted,
        InsufficientCoins,
        TooLarge,
        UnsupportedMediaType,
        RateLimited,
        Busy,
        summary="Record an upload and sign the browser's POST to the bucket",
        status=HTTPStatus.CREATED,
    ),
)
def request_upload(
    caller: AuthenticatedCaller, body: UploadRequest, uploads: Uploads, views: Views
) -> tuple[dict[str, Any], int]:
    upload = uploads.request_upload(caller, body)
    accepted = UploadAccepted(
        image=views.image(upload.image),
        upload=upload.post,
        user=UserView.of(caller.user, upload.balance),
    )
    return accepted.to_json(), HTTPStatus.CREATED


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
