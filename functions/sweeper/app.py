"""Every five minutes: fail and refund images that never finished, and queue again the account deletions
under way for too long."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from imagegen.composition import Composition
from imagegen.ids import utc_now

if TYPE_CHECKING:
    from imagegen.services.account_deletion import DeletionSweep
    from imagegen.services.sweeper import Sweeper

logger = Logger()
composition = Composition()  # the sweeper is built on the first run


def sweep(sweeper: Sweeper, deletions: DeletionSweep, now: datetime) -> dict[str, int]:
    """One run as of ``now``: how many images ``sweeper`` settled, and how many deletions ``deletions``
    queued again."""
    swept = sweeper.sweep(now)
    resumed = deletions.resume(now)
    logger.info("swept", extra={"swept": swept, "deletionsResumed": resumed})
    return {"swept": swept, "deletionsResumed": resumed}


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    return sweep(composition.sweeper, composition.deletion_sweep, utc_now())
