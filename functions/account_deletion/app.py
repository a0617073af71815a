"""The deletion queue's worker: each message names an account whose deletion is under way, removed by
the job step by step; a message that fails is delivered again, and the steps done find themselves done."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from imagegen.composition import Composition

if TYPE_CHECKING:
    from imagegen.services.account_deletion import AccountEraser

logger = Logger()
composition = Composition()  # the job is built on the first message


def handle_record(record: SQSRecord, eraser: AccountEraser) -> str:
    """One message: the account it names erased by ``eraser``; what became of it."""
    try:
        user_id = json.loads(record.body)["userId"]
    except (ValueError, KeyError, TypeError):  # no delivery could ever succeed: drop it, loudly
        logger.error("malformed deletion message", extra={"messageId": record.message_id})
        return "malformed"
    if not isinstance(user_id, str):
        logger.error("malformed deletion message", extra={"messageId": record.message_id})
        return "malformed"
    outcome = "deleted" if eraser.erase(user_id) else "nothing to delete"
    logger.info("account deletion", extra={"userId": user_id, "outcome": outcome})
    return outcome


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event,
        record_handler=lambda record: handle_record(record, composition.account_eraser),
        processor=BatchProcessor(event_type=EventType.SQS),
        context=context,
    )
