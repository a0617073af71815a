"""Every hour: credit the paid checkouts of the last three days whose webhook never arrived."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from imagegen.container import services

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    fixed = services().payments.reconcile()
    logger.info("reconciled", extra={"fixed": fixed})
    return {"fixed": fixed}
