"""Helpers for unit tests of the layer against moto in-process."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from imagegen.adapters.gemini import GeminiClient
from imagegen.adapters.imaging import Imaging
from imagegen.composition import Composition
from imagegen.models.auth import Caller, GoogleIdentity
from imagegen.models.catalog import ModelCatalog
from imagegen.models.images import Image, UploadRequest
from imagegen.repositories.coins import CoinRepository
from imagegen.services.generation_worker import GenerationWorker
from imagegen.services.pipeline import Outcome
from standins.gemini import LocalGemini
from tests import images


@pytest.fixture
def open_account(services: Composition) -> Callable[[str, int], None]:
    """Open a coin account for ``user_id`` holding ``coins`` (its first ledger entry)."""

    def open_(user_id: str, coins: int) -> None:
        services.transactions.write(services.coins.open_account(user_id, coins))

    return open_


@pytest.fixture
def ledger_sum(services: Composition) -> Callable[[str], int]:
    """The sum of every ledger entry of a user, walking all pages."""

    def total(user_id: str) -> int:
        repository = CoinRepository(services.aws.dynamodb, services.settings.coins.table)
        amount, start = 0, None
        while True:
            entries, start = repository.list_entries(user_id, limit=7, start_key=start)
            amount += sum(entry.amount for entry in entries)
            if start is None:
                return amount

    return total


def signed_up(services: Composition, subject: str, email: str, first_name: str) -> Caller:
    """A user signed up through Google holding the welcome coins, as an authenticated caller."""
    user = services.users.sign_in(
        GoogleIdentity(subject=subject, email=email, first_name=first_name, last_name="Lovelace")
    )
    return Caller(user=user, session_id=f"S{subject}", balance=services.coins.balance(user.id))


@pytest.fixture
def caller(services: Composition) -> Caller:
    """A signed-up user holding the welcome coins, as an authenticated caller."""
    return signed_up(services, "4242", "ada@example.com", "Ada")


@pytest.fixture
def stranger(services: Composition) -> Caller:
    """Another signed-up user."""
    return signed_up(services, "1717", "byron@example.com", "Byron")


UploadImage = Callable[..., Image]


@pytest.fixture
def completed_upload(services: Composition) -> UploadImage:
    """``completed_upload(caller, data)``: an upload as a browser makes it, its bytes put where the POST
    puts them, measured by the pipeline: the caller's COMPLETED image."""

    def upload(caller: Caller, data: bytes | None = None, content_type: str = "image/png") -> Image:
        data = data if data is not None else images.png(64, 48)
        body = {"filename": "file", "contentType": content_type, "size": len(data)}
        upload = services.uploads.request_upload(caller, UploadRequest.model_validate(body))
        image, arrival = upload.image, upload.post.fields["key"]
        services.aws.s3.put_object(
            Bucket=services.settings.images.bucket, Key=arrival, Body=data, ContentType=content_type
        )
        assert services.pipeline.measure(arrival) is Outcome.COMPLETED
        completed = services.image_records.get(caller.user_id, image.image_id)
        assert completed is not None
        return completed

    return upload


MakeWorker = Callable[..., GenerationWorker]


@pytest.fixture
def make_worker(services: Composition, gemini: LocalGemini) -> MakeWorker:
    """``make_worker(catalog=..., gemini_client=..., on_retired=...)``: the generation worker of
    ``services`` with any of its parts replaced (the catalog's source, as after ops changed it; a
    client that does something while the model draws; a recorder of the models reported retired)."""

    def make(
        catalog: Callable[[], ModelCatalog] | None = None,
        gemini_client: GeminiClient | None = None,
        on_retired: Callable[[str], object] = lambda _: None,
    ) -> GenerationWorker:
        client = gemini_client or GeminiClient(
            services.settings.gemini.base_url,
            lambda: gemini.api_key,
            timeout_seconds=5.0,
            backoff_base_seconds=0,
        )
        return GenerationWorker(
            services.image_records,
            services.images,
            services.storage,
            client,
            catalog or services.catalog,
            max_receives=services.settings.generation.max_receives,
            imaging=Imaging(max_pixels=services.settings.images.max_pixels),
            on_retired_model=lambda model: on_retired(model.id),
        )

    return make
