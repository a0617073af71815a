"""Making images: the model catalog and the style presets, and new images from a prompt or from an edit of
the caller's image.

Each request is charged, recorded and queued at most once per Idempotency-Key.
"""

from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from imagegen.api.auth import AuthenticatedCaller
from imagegen.api.openapi import documented
from imagegen.api.params import IdempotencyKey, ResourceId
from imagegen.api.resolver import API_PREFIX, build_api
from imagegen.api.responses.images import GenerationAccepted
from imagegen.api.views import ImageViews
from imagegen.composition import CatalogSource, Composition, PresetSource
from imagegen.errors import Busy, Conflict, InsufficientCoins, Invalid, NotFound, RateLimited
from imagegen.models.auth import Caller
from imagegen.models.catalog import ModelList
from imagegen.models.images import GenerateRequest, UpscaleRequest
from imagegen.models.styles import StylePresets
from imagegen.models.users import UserView
from imagegen.services.generation import Generation, GenerationService

logger = Logger()
composition = Composition()  # each part built when a request first needs it
app = build_api(logger, authenticator_of=lambda: composition.auth, invocation=composition.invocation)


def generation_service() -> GenerationService:
    return composition.generation


def image_views() -> ImageViews:
    return composition.image_views


def model_catalog() -> CatalogSource:
    return composition.catalog


def style_presets_source() -> PresetSource:
    return composition.style_presets


Generations = Annotated[GenerationService, Depends(generation_service)]
Views = Annotated[ImageViews, Depends(image_views)]
Catalog = Annotated[CatalogSource, Depends(model_catalog)]
Presets = Annotated[PresetSource, Depends(style_presets_source)]

# What a generation or an edit may be refused with, besides what every request with a body may.
_REFUSALS = (InsufficientCoins, NotFound, Conflict, Invalid, RateLimited, Busy)


def _accepted(views: ImageViews, caller: Caller, generation: Generation) -> tuple[dict[str, Any], int]:
    images = [views.image(image) for image in generation.images]
    accepted = GenerationAccepted(
        image=images[0], images=images, user=UserView.of(caller.user, generation.balance)
    )
    return accepted.to_json(), HTTPStatus.ACCEPTED


@app.get(f"{API_PREFIX}/models", **documented(ModelList, summary="The models offered", public=True))
def list_models(catalog: Catalog) -> dict[str, Any]:
    return catalog().view().to_json()


@app.get(
    f"{API_PREFIX}/style-presets",
    **documented(StylePresets, summary="The style presets: words a client may add to a prompt", public=True),
)
def style_presets(presets: Presets) -> dict[str, Any]:
    return presets().to_json()


@app.post(
    f"{API_PREFIX}/images/generate",
    **documented(
        GenerationAccepted, *_REFUSALS, summary="Generate an image from a prompt", status=HTTPStatus.ACCEPTED
    ),
)
def generate(
    caller: AuthenticatedCaller,
    body: GenerateRequest,
    generations: Generations,
    views: Views,
    idempotency_key: IdempotencyKey = None,
) -> tuple[dict[str, Any], int]:
    return _accepted(views, caller, generations.generate(caller, body, idempotency_key))


@app.post(
    f"{API_PREFIX}/images/<image_id>/edit",
    **documented(
        GenerationAccepted, *_REFUSALS, summary="Edit one of the caller's images", status=HTTPStatus.ACCEPTED
    ),
)
def edit(
    caller: AuthenticatedCaller,
    image_id: ResourceId,
    body: GenerateRequest,
    generations: Generations,
    views: Views,
    idempotency_key: IdempotencyKey = None,
) -> tuple[dict[str, Any], int]:
    return _accepted(views, caller, generations.edit(caller, image_id, body, idempotency_key))


@app.post(
    f"{API_PREFIX}/images/<image_id>/upscale",
    **documented(
        GenerationAccepted,
        *_REFUSALS,
        summary="Draw one of the caller's images again at a larger size",
        status=HTTPStatus.ACCEPTED,
    ),
)
def upscale(
    caller: AuthenticatedCaller,
    image_id: ResourceId,
    body: UpscaleRequest,
    generations: Generations,
    views: Views,
    idempotency_key: IdempotencyKey = None,
) -> tuple[dict[str, Any], int]:
    return _accepted(views, caller, generations.upscale(caller, image_id, body, idempotency_key))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    composition.idempotency.register_lambda_context(context)
    return app.resolve(event, context)
