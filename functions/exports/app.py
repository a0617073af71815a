"""Exports: the signed-in user starts an export of everything of theirs (built by the export worker)
and reads the latest, its progress, then its download."""

from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from imagegen.api.auth import AuthenticatedCaller
from imagegen.api.export_views import ExportViews
from imagegen.api.openapi import documented
from imagegen.api.resolver import API_PREFIX, build_api
from imagegen.api.responses.exports import ExportResponse
from imagegen.composition import Composition
from imagegen.errors import NotFound, RateLimited
from imagegen.services.exports import ExportService

logger = Logger()
composition = Composition()  # each part built when a request first needs it
app = build_api(logger, authenticator_of=lambda: composition.auth, invocation=composition.invocation)


def export_service() -> ExportService:
    return composition.exports


def export_views() -> ExportViews:
    return ExportViews(composition.storage)


Exports = Annotated[ExportService, Depends(export_service)]
Views = Annotated[ExportViews, Depends(export_views)]


@app.post(
    f"{API_PREFIX}/users/me/export",
    **documented(
        ExportResponse,
        RateLimited,
        summary="Start an export of everything of the caller's (one at a time, one a day)",
        status=HTTPStatus.ACCEPTED,
    ),
)
def start_export(caller: AuthenticatedCaller, exports: Exports, views: Views) -> tuple[dict[str, Any], int]:
    return ExportResponse(export=views.export(exports.start(caller.user_id))).to_json(), HTTPStatus.ACCEPTED


@app.get(
    f"{API_PREFIX}/users/me/export",
    **documented(
        ExportResponse, NotFound, summary="The caller's latest export: its progress, then its download"
    ),
)
def get_export(caller: AuthenticatedCaller, exports: Exports, views: Views) -> dict[str, Any]:
    return ExportResponse(export=views.export(exports.latest(caller.user_id))).to_json()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
