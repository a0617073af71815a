"""EventBridge "Object Created" under images/: write the 512 px WebP thumbnail under thumbnails/."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import S3EventBridgeNotificationEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from imagegen.composition import Composition

if TYPE_CHECKING:
    from imagegen.services.pipeline import ImagePipeline

logger = Logger()
composition = Composition()  # the pipeline is built on the first event


def thumbnail(event: S3EventBridgeNotificationEvent, pipeline: ImagePipeline) -> dict[str, str]:
    """The object of ``event`` through ``pipeline``: its key and what became of it."""
    key = event.detail.object.key
    outcome = pipeline.thumbnail(key)
    logger.info("thumbnail", extra={"key": key, "outcome": outcome.value})
    return {"key": key, "outcome": outcome.value}


@logger.inject_lambda_context
@event_source(data_class=S3EventBridgeNotificationEvent)
def lambda_handler(event: S3EventBridgeNotificationEvent, context: LambdaContext) -> dict[str, str]:
    return thumbnail(event, composition.pipeline)
