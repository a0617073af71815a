"""The generate queue's worker: each message is one image to draw; one bad message never fails the batch."""

from __future__ import annotations

import warnings
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from imagegen.container import services
from imagegen.models.images import GenerationJob, JobOutcome

logger = Logger()
metrics = Metrics()  # what the worker counts (a retired model), flushed once per invocation
# Most invocations count nothing: that is no news worth a warning in every container's log.
warnings.filterwarnings("ignore", "No application metrics to publish", UserWarning)
# A batch whose every job waits for the model is a report of failures, not a function error.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


class RetryLater(Exception):
    """The image model is unavailable: report the message as failed so SQS delivers it again."""


def handle_record(record: SQSRecord) -> str:
    try:
        job = GenerationJob.model_validate_json(record.body)
    except ValidationError:  # no delivery could ever succeed: drop it, loudly
        logger.error("malformed generation message", extra={"messageId": record.message_id})
        return "malformed"
    receive_count = int(record.attributes.approximate_receive_count)
    outcome = services().generation_worker.process(job, receive_count)
    logger.info(
        "job", extra={"imageId": job.image_id, "outcome": outcome.value, "receiveCount": receive_count}
    )
    if outcome is JobOutcome.RETRY:
        raise RetryLater(job.image_id)
    return outcome.value


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=handle_record, processor=processor, context=context
    )
