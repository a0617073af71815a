"""What the service counts for its alarms and its dashboard, as CloudWatch embedded metrics.

Each count is written at once, as one log line in CloudWatch's embedded metric format, in the
namespace of the stack (``POWERTOOLS_METRICS_NAMESPACE``) with the function's ``service``
dimension: no handler has to flush anything, and a function that counts nothing never loads
Powertools' metrics. The template's alarms and dashboard name these metrics; a test holds them
to this list.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Protocol

_log = logging.getLogger(__name__)


class Metric(StrEnum):
    """The service's own metrics (CloudWatch names)."""

    RETIRED_MODEL = "RetiredModel"  # Google answered 404 for a model of the catalog
    GENERATIONS_COMPLETED = "GenerationsCompleted"
    GENERATIONS_FAILED = "GenerationsFailed"
    UPLOADS_COMPLETED = "UploadsCompleted"
    UPLOADS_FAILED = "UploadsFailed"
    COINS_REFUNDED = "CoinsRefunded"  # the coins given back with failed images
    GENERATION_JOB_ERRORS = "GenerationJobErrors"  # a job that failed other than waiting for the model
    COINS_PURCHASED = "CoinsPurchased"  # coins credited for paid orders
    COINS_TAKEN_BACK = "CoinsTakenBack"  # coins taken back for refunded or disputed payments
    PAYMENTS_FLAGGED = "PaymentsFlagged"  # a payment not credited: its amount or currency is not its order's
    UNKNOWN_PAYMENT_EVENTS = "UnknownPaymentEvents"  # a Stripe event for an order the service does not know
    PURCHASES_RECONCILED = (
        "PurchasesReconciled"  # a paid order credited by the reconciliation: a lost webhook
    )


class Count(Protocol):
    """Something that counts metrics as ``count`` does (tests pass a recorder)."""

    def __call__(self, metric: Metric, value: int = 1, **metadata: str) -> None: ...


def count(metric: Metric, value: int = 1, **metadata: str) -> None:
    """Add ``value`` to ``metric`` now (``metadata`` rides along in the log line, not as dimensions).

    A metric that cannot be written is logged, never raised: it is counted after the fact it
    counts (a refund, say), which must not be undone or retried for its sake.
    """
    from aws_lambda_powertools.metrics import Metrics, MetricUnit  # only functions that count pay for it
    from aws_lambda_powertools.metrics.exceptions import MetricValueError, SchemaValidationError

    metrics = Metrics()
    try:
        metrics.add_metric(name=metric.value, unit=MetricUnit.Count, value=value)
        for key, item in metadata.items():
            metrics.add_metadata(key=key, value=item)
        metrics.flush_metrics()
    except (MetricValueError, SchemaValidationError):
        _log.exception("could not count %s", metric.value)
