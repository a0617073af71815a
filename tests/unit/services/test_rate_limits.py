"""Per-user rate limits against moto in-process: counted with the charge, refused with nothing
written, in a window sliding on a clock the tests move."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

from imagegen.adapters.queue import GenerationQueue
from imagegen.composition import Composition
from imagegen.errors import InsufficientCoins, RateLimited
from imagegen.models.auth import Caller
from imagegen.models.images import GenerateRequest, UploadRequest
from imagegen.repositories.rate_limits import RateLimitRepository
from imagegen.services.generation import GenerationService
from imagegen.services.rate_limits import WINDOW_SECONDS, LimitedAction, RateLimits
from imagegen.services.uploads import UploadService
from imagegen.services.windows import Starts
from tests.unit.conftest import UploadImage

GENERATIONS = 2
UPLOADS = 3
# 59 s into a minute of the clock: a fixed window of minutes would start again in 1 s.
START = 1_800_000_000 - 1_800_000_000 % 60 + 59.0


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


@dataclass
class Limited:
    """The upload and generation services under small limits and a clock of the test's."""

    clock: Clock
    uploads: UploadService
    generation: GenerationService


def limited_services(services: Composition, repository: RateLimitRepository | None = None) -> Limited:
    """The upload and generation services under small limits, on a clock of the test's, their windows
    kept in ``repository`` (the table's by default)."""
    clock = Clock()
    limits = RateLimits(
        repository or RateLimitRepository(services.aws.dynamodb, services.settings.limits.table),
        {LimitedAction.GENERATE: GENERATIONS, LimitedAction.UPLOAD: UPLOADS},
        clock=clock,
    )
    settings = services.settings
    uploads = UploadService(
        services.images,
        services.storage,
        limits,
        accepted_types=settings.uploads.accepted_types,
        max_upload_bytes=settings.uploads.max_bytes,
        cost=settings.uploads.cost,
        url_ttl_seconds=settings.uploads.url_ttl_seconds,
    )
    generation = GenerationService(
        services.image_records,
        services.images,
        services.coins,
        services.transactions,
        GenerationQueue(services.aws.sqs, settings.generation.queue_url),
        services.catalog,
        limits,
        DynamoDBPersistenceLayer(
            table_name=settings.generation.idempotency_table, boto3_client=services.aws.dynamodb
        ),
        services.idempotency,
    )
    return Limited(clock, uploads, generation)


@pytest.fixture
def limited(services: Composition) -> Limited:
    return limited_services(services)


def upload_request() -> UploadRequest:
    return UploadRequest.model_validate({"filename": "a.png", "contentType": "image/png", "size": 1000})


def generate_request(prompt: str = "a lighthouse") -> GenerateRequest:
    return GenerateRequest.model_validate({"prompt": prompt})


def image_count(services: Composition, caller: Caller) -> int:
    return len(services.image_records.list_page(caller.user_id, 100, None)[0])


def uploads_at(limited: Limited, caller: Caller, *seconds: float) -> None:
    """Uploads started at these seconds after START."""
    for second in seconds:
        limited.clock.now = START + second
        limited.uploads.request_upload(caller, upload_request())


def test_an_upload_past_the_limit_is_refused_with_nothing_charged_or_written(
    services: Composition, limited: Limited, caller: Caller, ledger_sum: Callable[[str], int]
) -> None:
    uploads_at(limited, caller, 0, 10, 20)
    balance = services.coins.balance(caller.user_id)
    limited.clock.now = START + 30

    with pytest.raises(RateLimited) as refused:
        limited.uploads.request_upload(caller, upload_request())

    assert refused.value.retry_after == 30  # when the first of the three is a minute old
    assert refused.value.details == {"retryAfter": 30, "limit": UPLOADS, "windowSeconds": WINDOW_SECONDS}
    assert services.coins.balance(caller.user_id) == balance == ledger_sum(caller.user_id)
    assert image_count(services, caller) == UPLOADS


def test_a_place_frees_a_minute_after_the_start_that_took_it(
    services: Composition, limited: Limited, caller: Caller
) -> None:
    uploads_at(limited, caller, 0, 10, 20)

    limited.clock.now = START + 59.999
    with pytest.raises(RateLimited):
        limited.uploads.request_upload(caller, upload_request())
    uploads_at(limited, caller, 60)  # the first start left the window: one place
    with pytest.raises(RateLimited) as refused:
        limited.uploads.request_upload(caller, upload_request())
    assert refused.value.retry_after == 10  # the second start leaves at 70 s
    uploads_at(limited, caller, 70, 80)

    assert image_count(services, caller) == UPLOADS + 3


def test_no_minute_boundary_doubles_the_limit(
    services: Composition, limited: Limited, caller: Caller
) -> None:
    uploads_at(limited, caller, 0, 0.5, 0.9)  # the last second of a clock minute

    for second in (1, 2, 30, 59.8):  # the next minute: a fixed window would admit three more
        limited.clock.now = START + second
        with pytest.raises(RateLimited):
            limited.uploads.request_upload(caller, upload_request())

    assert image_count(services, caller) == UPLOADS


class LetsAnotherInFirst(RateLimitRepository):
    """The table's windows, but while the first request reads its window, ``other`` takes a place."""

    other: Callable[[], object] | None = None

    def starts(self, key: str) -> Starts:
        read = super().starts(key)
        if self.other is not None:
            other, self.other = self.other, None
            other()
        return read


def test_two_requests_racing_for_the_last_place_cannot_both_take_it(
    services: Composition, caller: Caller, ledger_sum: Callable[[str], int]
) -> None:
    repository = LetsAnotherInFirst(services.aws.dynamodb, services.settings.limits.table)
    limited = limited_services(services, repository)
    uploads_at(limited, caller, 0, 1)
    repository.other = lambda: limited.uploads.request_upload(caller, upload_request())

    with pytest.raises(RateLimited):  # it read one place left, lost it, read again: none
        limited.uploads.request_upload(caller, upload_request())

    assert image_count(services, caller) == UPLOADS
    assert services.coins.balance(caller.user_id) == 1000 - 50 * UPLOADS == ledger_sum(caller.user_id)


def test_a_request_that_lost_a_place_it_read_takes_the_next_one(
    services: Composition, caller: Caller
) -> None:
    repository = LetsAnotherInFirst(services.aws.dynamodb, services.settings.limits.table)
    limited = limited_services(services, repository)
    repository.other = lambda: limited.uploads.request_upload(caller, upload_request())

    limited.uploads.request_upload(caller, upload_request())  # read an empty window, found it changed

    assert image_count(services, caller) == 2


def test_generations_and_edits_share_one_allowance_and_uploads_have_their_own(
    services: Composition, limited: Limited, caller: Caller, completed_upload: UploadImage
) -> None:
    photo = completed_upload(caller)  # through the container's own limits, on the real clock
    limited.generation.generate(caller, generate_request())
    limited.generation.edit(caller, photo.image_id, generate_request("in autumn"))
    balance = services.coins.balance(caller.user_id)

    with pytest.raises(RateLimited) as refused:
        limited.generation.generate(caller, generate_request("a third"))
    with pytest.raises(RateLimited):
        limited.generation.edit(caller, photo.image_id, generate_request("in winter"))
    assert refused.value.details["limit"] == GENERATIONS
    assert services.coins.balance(caller.user_id) == balance
    assert image_count(services, caller) == 1 + GENERATIONS

    limited.uploads.request_upload(caller, upload_request())  # another allowance
    assert image_count(services, caller) == 1 + GENERATIONS + 1


def test_each_user_has_an_allowance_of_their_own(
    services: Composition, limited: Limited, caller: Caller, stranger: Caller
) -> None:
    for _ in range(UPLOADS):
        limited.uploads.request_upload(caller, upload_request())
    limited.uploads.request_upload(stranger, upload_request())
    assert image_count(services, stranger) == 1


def test_a_request_refused_for_want_of_coins_takes_no_place_in_the_window(
    services: Composition, limited: Limited, caller: Caller
) -> None:
    services.coins.grant(caller.user_id, -1000, note="empty the wallet")
    for _ in range(UPLOADS + 1):
        with pytest.raises(InsufficientCoins):
            limited.uploads.request_upload(caller, upload_request())

    services.coins.grant(caller.user_id, 1000, note="fill it again")
    for _ in range(UPLOADS):
        limited.uploads.request_upload(caller, upload_request())
    assert image_count(services, caller) == UPLOADS


def test_a_request_replayed_by_its_idempotency_key_is_not_counted_again(
    services: Composition, limited: Limited, caller: Caller
) -> None:
    first = limited.generation.generate(caller, generate_request(), idempotency_key="K1")
    for _ in range(3):
        again = limited.generation.generate(caller, generate_request(), idempotency_key="K1")
        assert again.image.image_id == first.image.image_id
    limited.generation.generate(caller, generate_request("another"))  # the second of two
    assert image_count(services, caller) == GENERATIONS


def test_a_window_expires_through_the_ttl_once_its_latest_start_stops_counting(
    services: Composition, limited: Limited, caller: Caller
) -> None:
    uploads_at(limited, caller, 0, 10)

    (window,) = services.aws.dynamodb.scan(TableName=services.settings.limits.table)["Items"]
    assert [int(start["N"]) for start in window["starts"]["L"]] == [
        int(START * 1000),
        int(START * 1000) + 10_000,
    ]
    assert int(window["expiresAt"]["N"]) == START + 10 + WINDOW_SECONDS


def test_an_action_without_a_limit_here_is_refused(services: Composition, caller: Caller) -> None:
    repository = RateLimitRepository(services.aws.dynamodb, services.settings.limits.table)
    with pytest.raises(ValueError, match="upload"):
        RateLimits(repository, {LimitedAction.GENERATE: 1}).slot(caller.user_id, LimitedAction.UPLOAD)
