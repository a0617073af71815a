"""The export queue's worker: each message is one export to build into a zip. An export that fails is
marked FAILED by the worker (its upload aborted), so its message is done with; only a bug is reported
for redelivery (and the export, failed already, is then left alone)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from imagegen.composition import Composition
from imagegen.models.exports import ExportJob

if TYPE_CHECKING:
    from imagegen.services.exports import ExportWorker

logger = Logger()
composition = Composition()  # the worker is built on the first message


def handle_record(record: SQSRecord, worker: ExportWorker) -> str:
    """One message: its export built by ``worker``."""
    try:
        job = ExportJob.model_validate_json(record.body)
    except ValidationError:  # no delivery could ever succeed: drop it, loudly
        logger.error("malformed export message", extra={"messageId": record.message_id})
        return "malformed"
    result = worker.build(job)
    if result.cause:
        logger.error("export failed", extra={"exportId": job.export_id, "cause": result.cause})
    else:
        logger.info("export", extra={"exportId": job.export_id, "outcome": result.outcome})
    return result.outcome


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    composition.invocation.start(context)  # an export stops itself before the function's end
    worker = composition.export_worker
    return process_partial_response(
        event=event,
        record_handler=lambda record: handle_record(record, worker),
        processor=BatchProcessor(event_type=EventType.SQS),
        context=context,
    )
