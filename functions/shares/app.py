"""Share links: the owner makes, reads and revokes the link of one of their finished images; anyone
holding the link opens the shared image without signing in, as JSON or as its page (``/s/{token}``,
HTML with its preview tags). Every answer is sent with ``Cache-Control: no-store``: no cache in front
may keep a link that has been revoked, nor an owner's token."""

from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from imagegen.api.auth import AuthenticatedCaller
from imagegen.api.client_address import ClientAddress
from imagegen.api.openapi import documented, documented_page
from imagegen.api.params import PageLanguage, ResourceId
from imagegen.api.resolver import API_PREFIX, build_api
from imagegen.api.responses.shares import SharedImageResponse, ShareResponse
from imagegen.api.share_views import ShareViews
from imagegen.composition import Composition
from imagegen.errors import Busy, Conflict, NotFound, RateLimited
from imagegen.models.shares import ShareRequest
from imagegen.services.shares import ShareService

logger = Logger()
composition = Composition()  # each part built when a request first needs it
app = build_api(
    logger,
    authenticator_of=lambda: composition.auth,
    invocation=composition.invocation,
    headers={"Cache-Control": "no-store"},
)


def share_service() -> ShareService:
    return composition.shares


def share_views() -> ShareViews:
    return composition.share_views


Shares = Annotated[ShareService, Depends(share_service)]
Views = Annotated[ShareViews, Depends(share_views)]
# Any text: a token that is not one answers the same 404 as a revoked link, never a 422 telling them apart.
ShareToken = Annotated[str, Path(description="the link's token (43 URL-safe characters)")]

_SHARE = documented(
    ShareResponse,
    NotFound,
    Conflict,
    Busy,
    summary="Share one of the caller's finished images: its link, made now (201) or as it was (200)",
    status=HTTPStatus.CREATED,
)
_SHARE["responses"][HTTPStatus.OK.value] = {
    "description": "The image had an active link: it, unchanged (revoke it to make another).",
    "content": {"application/json": {"model": ShareResponse}},
}


@app.post(f"{API_PREFIX}/images/<image_id>/share", **_SHARE)
def share_image(
    caller: AuthenticatedCaller, image_id: ResourceId, body: ShareRequest, shares: Shares, views: Views
) -> tuple[dict[str, Any], int]:
    shared = shares.share(caller, image_id, body)
    answer = ShareResponse(share=views.owned(shared.link)).to_json()
    return answer, HTTPStatus.CREATED if shared.created else HTTPStatus.OK


@app.get(
    f"{API_PREFIX}/images/<image_id>/share",
    **documented(ShareResponse, NotFound, summary="The active link of one of the caller's images"),
)
def get_share(
    caller: AuthenticatedCaller, image_id: ResourceId, shares: Shares, views: Views
) -> dict[str, Any]:
    return ShareResponse(share=views.owned(shares.current(caller, image_id))).to_json()


@app.delete(
    f"{API_PREFIX}/images/<image_id>/share",
    **documented(None, NotFound, summary="Revoke an image's link, at once", status=HTTPStatus.NO_CONTENT),
)
def revoke_share(caller: AuthenticatedCaller, image_id: ResourceId, shares: Shares) -> Response[str]:
    shares.revoke(caller, image_id)
    return Response(status_code=HTTPStatus.NO_CONTENT, body="")


@app.get(
    f"{API_PREFIX}/shared/<token>",
    **documented(
        SharedImageResponse,
        NotFound,
        RateLimited,
        summary="A shared image, for anyone holding its link (a view counted)",
        public=True,
    ),
)
def shared_image(token: ShareToken, client: ClientAddress, shares: Shares, views: Views) -> dict[str, Any]:
    return views.shared(shares.open(token, client)).to_json()


@app.get(
    "/s/<token>",
    **documented_page(
        summary="A shared image's page, with its preview tags (HTML, no script; a view counted)",
        page="The image, its title, its prompt when shown, and its Open Graph and Twitter card tags.",
        missing="Not a link that opens (revoked, expired, its image deleted, unknown): one page for all.",
        busy="The client address opened too many shared images this minute.",
    ),
)
def share_page(
    token: ShareToken,
    client: ClientAddress,
    shares: Shares,
    views: Views,
    accept_language: PageLanguage = None,
) -> Response[str]:
    return views.page(lambda: shares.open(token, client), token, accept_language)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
