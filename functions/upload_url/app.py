"""POST /api/v1/images/upload: charge the upload, record the image, and sign a POST for the browser."""

from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from imagegen.api.auth import AuthenticatedCaller
from imagegen.api.openapi import documented
from imagegen.api.resolver import API_PREFIX, build_api
from imagegen.api.responses import UploadAccepted
from imagegen.container import services
from imagegen.errors import Busy, InsufficientCoins, RateLimited, TooLarge, UnsupportedMediaType
from imagegen.models.images import UploadRequest
from imagegen.models.users import UserView

logger = Logger()
app = build_api(logger)


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
def request_upload(caller: AuthenticatedCaller, body: UploadRequest) -> tuple[dict[str, Any], int]:
    upload = services().uploads.request_upload(caller, body)
    accepted = UploadAccepted(
        image=services().images.view(upload.image),
        upload=upload.post,
        user=UserView.of(caller.user, upload.balance),
    )
    return accepted.to_json(), HTTPStatus.CREATED


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
