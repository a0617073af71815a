"""The share links' twin (``tests.fakes.shares.InMemoryShares``) holds to the repository: each scenario runs
on both, DynamoDB's on moto, and expects the same outcomes, refusals included."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from imagegen.composition import Composition
from imagegen.models.shares import Share
from imagegen.services.share_records import SharedImageKey, ShareRecords
from imagegen.services.unit_of_work import Refused, Transactions, UnitOfWork, Write
from tests.fakes import InMemoryTransactions
from tests.fakes.shares import InMemoryShares

AT = "2026-12-04T12:00:00.000Z"


@dataclass
class Kept:
    """Share records and the transactions their writes commit through."""

    records: ShareRecords
    transactions: Transactions

    def commit(self, *writes: Write) -> bool:
        """Whether ``writes`` went through together (False: refused, nothing written)."""
        try:
            UnitOfWork(self.transactions).with_writes(writes, Refused).commit()
        except Refused:
            return False
        return True


@pytest.fixture(params=["in memory", "dynamodb"])
def kept(request: pytest.FixtureRequest) -> Kept:
    if request.param == "in memory":
        return Kept(InMemoryShares(), InMemoryTransactions())
    services = request.getfixturevalue("services")  # moto, only for the repository's run
    return Kept(services.share_records, services.transactions)


def link(token_hash: str, image_id: str = "IMG1", **more: Any) -> Share:
    return Share(
        user_id="ada",
        image_id=image_id,
        nonce=f"nonce-{token_hash}",
        token_hash=token_hash,
        show_prompt=False,
        created_at=AT,
        **more,
    )


def test_a_link_is_made_over_none_and_found_by_its_image_and_its_tokens_hash(kept: Kept) -> None:
    first = link("h1", expires_at="2026-12-11T12:00:00.000Z")

    assert kept.commit(*kept.records.creation_writes(first, None))

    assert kept.records.get("ada", "IMG1") == first
    assert kept.records.find("h1") == SharedImageKey(user_id="ada", image_id="IMG1")
    assert kept.records.find("h2") is None
    assert kept.records.get("ada", "IMG2") is None
    assert not kept.commit(*kept.records.creation_writes(link("h2"), None))  # the image has one
    assert kept.records.find("h2") is None


def test_a_link_replaces_only_the_one_it_was_read_as_and_takes_its_tokens_record(kept: Kept) -> None:
    first, second, third = link("h1"), link("h2"), link("h3")
    assert kept.commit(*kept.records.creation_writes(first, None))

    assert kept.commit(*kept.records.creation_writes(second, first))
    assert not kept.commit(*kept.records.creation_writes(third, first))  # read before the second

    assert kept.records.get("ada", "IMG1") == second
    assert (kept.records.find("h1"), kept.records.find("h3")) == (None, None)
    assert kept.records.find("h2") == SharedImageKey(user_id="ada", image_id="IMG1")


def test_a_removal_is_refused_only_over_another_link(kept: Kept) -> None:
    first, second = link("h1"), link("h2")
    assert kept.commit(*kept.records.creation_writes(first, None))
    assert kept.commit(*kept.records.creation_writes(second, first))

    assert not kept.commit(*kept.records.removal_writes(first))
    assert kept.records.get("ada", "IMG1") == second
    assert kept.commit(*kept.records.removal_writes(second))
    assert (kept.records.get("ada", "IMG1"), kept.records.find("h2")) == (None, None)
    assert kept.commit(*kept.records.removal_writes(second))  # gone already: fine


def test_a_view_is_counted_on_the_link_it_was_read_as_only(kept: Kept) -> None:
    first, second = link("h1"), link("h2")
    assert kept.commit(*kept.records.creation_writes(first, None))

    counted = [kept.records.count_view(first) for _ in range(3)]

    assert [share.views if share else None for share in counted] == [1, 2, 3]
    assert kept.commit(*kept.records.creation_writes(second, first))
    assert kept.records.count_view(first) is None
    assert kept.records.get("ada", "IMG1") == second  # nothing counted on the new link
    assert kept.commit(*kept.records.removal_writes(second))
    assert kept.records.count_view(second) is None


def test_dynamodb_purges_a_link_by_ttl_when_it_expires_and_never_one_without_expiry(
    services: Composition,
) -> None:
    records = services.share_records
    kept = Kept(records, services.transactions)
    expires = "2026-12-11T12:00:00.000Z"
    assert kept.commit(*records.creation_writes(link("h1", expires_at=expires), None))
    assert kept.commit(*records.creation_writes(link("h2", image_id="IMG2"), None))

    items = services.aws.dynamodb.scan(TableName=services.settings.shares.table)["Items"]
    purge = {(item["pk"]["S"], item["sk"]["S"]): item.get("purgeAt", {}).get("N") for item in items}

    at = str(int(datetime(2026, 12, 11, 12, tzinfo=UTC).timestamp()))
    assert purge == {
        ("USER#ada", "IMAGE#IMG1"): at,
        ("TOKEN#h1", "TOKEN"): at,
        ("USER#ada", "IMAGE#IMG2"): None,
        ("TOKEN#h2", "TOKEN"): None,
    }
