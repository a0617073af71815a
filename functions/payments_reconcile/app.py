"""Every hour: credit the paid checkouts of the last three days whose webhook never arrived."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from imagegen.composition import Composition

if TYPE_CHECKING:
    from imagegen.services.payments import PaymentService

logger = Logger()
composition = Composition()  # the payment service is built on the first run


def reconcile(payments: PaymentService) -> dict[str, int]:
    """One reconciliation: how many orders it credited."""
    fixed = payments.reconcile()
    logger.info("reconciled", extra={"fixed": fixed})
    return {"fixed": fixed}


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    return reconcile(composition.payments)
