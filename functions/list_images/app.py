"""Reading and editing images: the caller's gallery, one image and its edit thread, a user's gallery
(owner or admin), and the prompts of the caller's recent generations (read from their images)."""

from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from imagegen.api.auth import AuthenticatedCaller
from imagegen.api.openapi import documented
from imagegen.api.params import Cursor, PageLimit, PromptLimit, ResourceId
from imagegen.api.resolver import API_PREFIX, build_api
from imagegen.api.responses.images import ImageResponse
from imagegen.api.views import ImageViews
from imagegen.composition import Composition
from imagegen.errors import Forbidden, NotFound
from imagegen.models.auth import Caller
from imagegen.models.images import (
    SEARCH_MAX_LENGTH,
    ImagePage,
    ImageStatus,
    ImageType,
    ImageUpdate,
    RecentPrompts,
)
from imagegen.services.image_records import ImageQuery
from imagegen.services.images import ImageService

logger = Logger()
composition = Composition()  # each part built when a request first needs it
app = build_api(logger, authenticator_of=lambda: composition.auth, invocation=composition.invocation)


def image_service() -> ImageService:
    return composition.images


def image_views() -> ImageViews:
    return composition.image_views


Images = Annotated[ImageService, Depends(image_service)]
Views = Annotated[ImageViews, Depends(image_views)]

TypeFilter = Annotated[ImageType | None, Query()]
StatusFilter = Annotated[ImageStatus | None, Query()]
FavoriteFilter = Annotated[bool | None, Query(description="true: only the starred images")]
Search = Annotated[
    str | None,
    Query(
        min_length=1, max_length=SEARCH_MAX_LENGTH, description="words of the title or the prompt, any case"
    ),
]


def _page(
    images: ImageService,
    views: ImageViews,
    caller: Caller,
    limit: int,
    cursor: str | None,
    owner_id: str | None,
    which: ImageQuery,
) -> dict[str, Any]:
    return views.page(images.list_page(caller, limit, cursor, owner_id, which)).to_json()


@app.get(f"{API_PREFIX}/images", **documented(ImagePage, summary="The caller's images, newest first"))
def list_images(
    caller: AuthenticatedCaller,
    images: Images,
    views: Views,
    limit: PageLimit = 20,
    cursor: Cursor = None,
    type: TypeFilter = None,  # the API names it so
    status: StatusFilter = None,
    favorite: FavoriteFilter = None,
    q: Search = None,
) -> dict[str, Any]:
    return _page(images, views, caller, limit, cursor, None, ImageQuery(type, status, favorite, q))


@app.get(
    f"{API_PREFIX}/images/<image_id>",
    **documented(ImageResponse, NotFound, summary="One of the caller's images"),
)
def get_image(
    caller: AuthenticatedCaller, image_id: ResourceId, images: Images, views: Views
) -> dict[str, Any]:
    return ImageResponse(image=views.image(images.get(caller, image_id))).to_json()


@app.get(
    f"{API_PREFIX}/images/<image_id>/thread",
    **documented(ImagePage, NotFound, summary="The edit thread an image belongs to, oldest first"),
)
def image_thread(
    caller: AuthenticatedCaller,
    image_id: ResourceId,
    images: Images,
    views: Views,
    limit: PageLimit = 20,
    cursor: Cursor = None,
) -> dict[str, Any]:
    return views.page(images.thread_page(caller, image_id, limit, cursor)).to_json()


@app.put(
    f"{API_PREFIX}/images/<image_id>",
    **documented(ImageResponse, NotFound, summary="Rename, describe or star one of the caller's images"),
)
def update_image(
    caller: AuthenticatedCaller, image_id: ResourceId, body: ImageUpdate, images: Images, views: Views
) -> dict[str, Any]:
    return ImageResponse(image=views.image(images.update(caller, image_id, body))).to_json()


@app.get(
    f"{API_PREFIX}/users/<user_id>/images",
    **documented(ImagePage, Forbidden, summary="A user's images (`me`, or any user for an admin)"),
)
def list_user_images(
    caller: AuthenticatedCaller,
    user_id: ResourceId,
    images: Images,
    views: Views,
    limit: PageLimit = 20,
    cursor: Cursor = None,
    type: TypeFilter = None,  # the API names it so
    status: StatusFilter = None,
    favorite: FavoriteFilter = None,
    q: Search = None,
) -> dict[str, Any]:
    which = ImageQuery(type, status, favorite, q)
    return _page(images, views, caller, limit, cursor, caller.named(user_id), which)


@app.get(
    f"{API_PREFIX}/users/me/prompts",
    **documented(
        RecentPrompts, summary="The prompts of the caller's recent generations, newest first, each once"
    ),
)
def my_prompts(caller: AuthenticatedCaller, images: Images, limit: PromptLimit = 20) -> dict[str, Any]:
    return images.recent_prompts(caller, limit).to_json()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
