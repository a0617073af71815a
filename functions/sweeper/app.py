"""Every five minutes: fail and refund images that never finished."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from imagegen.container import services
from imagegen.ids import utc_now

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    swept = services().sweeper.sweep(utc_now())
    logger.info("swept", extra={"swept": swept})
    return {"swept": swept}
