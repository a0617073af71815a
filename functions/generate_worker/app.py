"""The generate queue's worker: each message is one image to draw; one bad message never fails the batch."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.base import FailureResponse
from aws_lambda_powertools.utilities.batch.exceptions import ExceptionInfo
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from imagegen.composition import Composition
from imagegen.metrics import Count, Metric
from imagegen.models.images import GenerationJob, JobOutcome

if TYPE_CHECKING:
    from imagegen.services.generation_worker import GenerationWorker

logger = Logger()
composition = Composition()  # the worker and its Gemini client are built on the first message


class RetryLater(Exception):
    """The image model is unavailable: report the message as failed so SQS delivers it again."""


class JobProcessor(BatchProcessor):
    """Reports failed jobs for redelivery. Waiting for the model is expected; any other failure is a
    job error, logged and counted with ``count`` (alarmed on): Lambda's own error count never sees it."""

    def __init__(self, count: Count) -> None:
        # A batch whose every job waits for the model is a report of failures, not a function error.
        super().__init__(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
        self._count = count

    def failure_handler(self, record: SQSRecord, exception: ExceptionInfo) -> FailureResponse:
        error = exception[1]
        if not isinstance(error, RetryLater):
            logger.error("generation job failed", exc_info=error, extra={"messageId": record.message_id})
            self._count(Metric.GENERATION_JOB_ERRORS)
        return super().failure_handler(record, exception)


def handle_record(record: SQSRecord, worker: GenerationWorker) -> str:
    """One message: its job drawn by ``worker``; ``RetryLater`` while the model is unavailable."""
    try:
        job = GenerationJob.model_validate_json(record.body)
    except ValidationError:  # no delivery could ever succeed: drop it, loudly
        logger.error("malformed generation message", extra={"messageId": record.message_id})
        return "malformed"
    receive_count = int(record.attributes.approximate_receive_count)
    outcome = worker.process(job, receive_count)
    logger.info(
        "job", extra={"imageId": job.image_id, "outcome": outcome.value, "receiveCount": receive_count}
    )
    if outcome is JobOutcome.RETRY:
        raise RetryLater(job.image_id)
    return outcome.value


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    worker = composition.generation_worker
    return process_partial_response(
        event=event,
        record_handler=lambda record: handle_record(record, worker),
        processor=JobProcessor(composition.count),
        context=context,
    )
