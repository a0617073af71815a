"""Making images: the model catalog, and new images from a prompt or from an edit of the caller's image.

Each request is charged, recorded and queued at most once per Idempotency-Key.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.openapi.params import Header
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from imagegen.api.auth import AuthenticatedCaller
from imagegen.api.params import ResourceId
from imagegen.api.resolver import API_PREFIX, build_api
from imagegen.container import services
from imagegen.models.auth import Caller
from imagegen.models.images import GenerateRequest
from imagegen.models.users import UserView
from imagegen.services.generation import Generation

logger = Logger()
app = build_api(logger)

IdempotencyKey = Annotated[str | None, Header(alias="idempotency-key", min_length=1, max_length=255)]


def _accepted(caller: Caller, generation: Generation) -> tuple[dict[str, Any], int]:
    return {
        "image": services().images.view(generation.image).to_json(),
        "user": UserView.of(caller.user, generation.balance).to_json(),
    }, 202


@app.get(f"{API_PREFIX}/models")
def list_models() -> dict[str, Any]:
    return services().catalog().to_json()


@app.post(f"{API_PREFIX}/images/generate")
def generate(
    caller: AuthenticatedCaller, body: GenerateRequest, idempotency_key: IdempotencyKey = None
) -> tuple[dict[str, Any], int]:
    return _accepted(caller, services().generation.generate(caller, body, idempotency_key))


@app.post(f"{API_PREFIX}/images/<image_id>/edit")
def edit(
    caller: AuthenticatedCaller,
    image_id: ResourceId,
    body: GenerateRequest,
    idempotency_key: IdempotencyKey = None,
) -> tuple[dict[str, Any], int]:
    return _accepted(caller, services().generation.edit(caller, image_id, body, idempotency_key))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    services().idempotency.register_lambda_context(context)
    return app.resolve(event, context)
