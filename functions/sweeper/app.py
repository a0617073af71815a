"""Every five minutes: fail and refund images that never finished."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from imagegen.composition import Composition
from imagegen.ids import utc_now

if TYPE_CHECKING:
    from imagegen.services.sweeper import Sweeper

logger = Logger()
composition = Composition()  # the sweeper is built on the first run


def sweep(sweeper: Sweeper, now: datetime) -> dict[str, int]:
    """One run of ``sweeper`` as of ``now``: how many images it settled."""
    swept = sweeper.sweep(now)
    logger.info("swept", extra={"swept": swept})
    return {"swept": swept}


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    return sweep(composition.sweeper, utc_now())
