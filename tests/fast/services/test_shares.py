"""Share links on in-memory twins: one active link per image, made only of a finished image of the
caller's; opened by anyone holding the token, its view counted; and every link that does not open
(revoked, expired, retired with the secret, its image deleted, its owner suspended or gone, a guess,
a malformed token) refused alike. Each client address's views a minute are limited, guesses included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from imagegen.errors import Busy, Conflict, NotFound, RateLimited
from imagegen.ids import iso
from imagegen.models.auth import Caller
from imagegen.models.images import Image, ImageMetadata, ImageStatus, ImageType
from imagegen.models.shares import ShareRequest
from imagegen.models.users import Role, User, UserStatus
from imagegen.services.coins import CoinService
from imagegen.services.cursors import CursorCodec
from imagegen.services.images import ImageService
from imagegen.services.rate_limits import LimitedAction, RateLimits
from imagegen.services.shares import NO_SUCH_SHARED_IMAGE, PLACE_ATTEMPTS, ShareService, ShareTokens
from imagegen.services.unit_of_work import UnitOfWork
from tests.fakes import InMemoryObjects, InMemoryTransactions, InMemoryWallets, InMemoryWindows, SlowClock
from tests.fakes.accounts import InMemoryUsers
from tests.fakes.images import InMemoryImages
from tests.fakes.shares import InMemoryShares

START = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
VIEWS_PER_MINUTE = 5
ADDRESS = "203.0.113.7"


class Sharing:
    """A share service, and the image service that deletes, on twins, with a clock the test moves and a
    secret it may rotate."""

    def __init__(self) -> None:
        self.now = START
        self.secret = "s" * 32
        self.transactions = InMemoryTransactions()
        self.records = InMemoryImages()
        self.links = InMemoryShares()
        self.users = InMemoryUsers()
        self.windows = InMemoryWindows()
        limits = RateLimits(
            self.windows,
            {LimitedAction.VIEW_SHARED: VIEWS_PER_MINUTE},
            clock=lambda: self.now.timestamp(),
        )
        self.tokens = ShareTokens(lambda: self.secret)
        self.service = ShareService(
            self.links,
            self.records,
            self.users,
            self.transactions,
            self.tokens,
            limits,
            clock=lambda: self.now,
        )
        clock = SlowClock()
        wallets = InMemoryWallets()
        self.coins = CoinService(wallets, self.transactions, sleep=clock.sleep, clock=clock)
        self.images = ImageService(
            self.records,
            InMemoryObjects(),
            self.coins,
            self.transactions,
            CursorCodec(lambda: self.secret),
            count=lambda *_, **__: None,
            shares=lambda: self.links,
        )

    def user(self, user_id: str) -> Caller:
        user = User(
            id=user_id,
            email=f"{user_id}@example.com",
            google_sub=f"sub-{user_id}",
            roles=[Role.USER],
            created_at=iso(START),
            updated_at=iso(START),
        )
        self.users.users[user_id] = user
        self.transactions.write(self.coins.open_account(user_id, 100))
        return Caller(user=user, session_id=f"S-{user_id}", balance=100)

    def image(self, caller: Caller, image_id: str, status: ImageStatus = ImageStatus.COMPLETED) -> Image:
        image = Image(
            user_id=caller.user_id,
            image_id=image_id,
            type=ImageType.GENERATED,
            status=status,
            title="A lighthouse",
            prompt="a lighthouse at dusk, watercolour",
            object_key=f"images/{caller.user_id}/{image_id}.png",
            metadata=ImageMetadata(width=640, height=480, format="PNG", content_type="image/png", size=9)
            if status is ImageStatus.COMPLETED
            else None,
            coins_used=0,
            created_at=iso(START),
            updated_at=iso(START),
        )
        UnitOfWork(self.transactions).with_write(self.records.create_write(image), RuntimeError).commit()
        return image

    def share(self, caller: Caller, image_id: str, **asked: object) -> str:
        """A new link of the image: its token."""
        shared = self.service.share(caller, image_id, ShareRequest.model_validate(asked))
        assert shared.created
        return shared.link.token

    def opened_views(self, token: str, address: str = ADDRESS) -> int:
        return self.service.open(token, address).share.views


@pytest.fixture
def sharing() -> Sharing:
    return Sharing()


def refused_alike(sharing: Sharing, token: str) -> None:
    with pytest.raises(NotFound) as refused:
        sharing.service.open(token, ADDRESS)
    assert (refused.value.message, refused.value.details) == (NO_SUCH_SHARED_IMAGE, {})


def test_a_finished_image_is_shared_and_opened_by_anyone_holding_the_token(sharing: Sharing) -> None:
    ada = sharing.user("ada")
    image = sharing.image(ada, "IMG1")

    shared = sharing.service.share(ada, "IMG1", ShareRequest.model_validate({"showPrompt": True}))
    opened = sharing.service.open(shared.link.token, ADDRESS)

    assert shared.created
    assert (opened.image, opened.share.views, opened.share.show_prompt) == (image, 1, True)
    assert sharing.opened_views(shared.link.token) == 2


def test_only_a_hash_of_the_token_and_its_random_bits_are_kept(sharing: Sharing) -> None:
    ada = sharing.user("ada")
    sharing.image(ada, "IMG1")

    token = sharing.share(ada, "IMG1")

    kept = sharing.links.get("ada", "IMG1")
    assert kept is not None
    assert token not in kept.model_dump_json()
    assert list(sharing.links.tokens) == [ShareTokens.hash(token)]
    assert sharing.tokens.token(kept.nonce) == token  # what the owner is shown again


def test_asked_again_the_active_link_is_returned_unchanged_whatever_the_body(sharing: Sharing) -> None:
    ada = sharing.user("ada")
    sharing.image(ada, "IMG1")
    token = sharing.share(ada, "IMG1", expiresInDays=7)
    sharing.opened_views(token)

    again = sharing.service.share(ada, "IMG1", ShareRequest.model_validate({"showPrompt": True}))

    assert not again.created
    assert again.link.token == token
    share = again.link.share
    assert (share.show_prompt, share.expires_at, share.views) == (False, iso(START + timedelta(days=7)), 1)


def test_only_the_owners_finished_images_are_shared(sharing: Sharing) -> None:
    ada, bob = sharing.user("ada"), sharing.user("bob")
    sharing.image(ada, "IMG1")
    sharing.image(ada, "IMG2", ImageStatus.PROCESSING)
    sharing.image(ada, "IMG3", ImageStatus.FAILED)

    with pytest.raises(NotFound):
        sharing.service.share(bob, "IMG1", ShareRequest())
    with pytest.raises(NotFound):
        sharing.service.share(ada, "NOPE", ShareRequest())
    for unfinished in ("IMG2", "IMG3"):
        with pytest.raises(Conflict):
            sharing.service.share(ada, unfinished, ShareRequest())
    assert sharing.links.links == {}


def test_an_image_a_delete_has_begun_to_remove_gets_no_link(sharing: Sharing) -> None:
    ada = sharing.user("ada")
    sharing.image(ada, "IMG1")
    # The delete tombstones the image between the link's read of it and its commit.
    sharing.transactions.before_commit = lambda: sharing.records.mark_deleting("ada", "IMG1", iso(START))

    with pytest.raises(NotFound):
        sharing.service.share(ada, "IMG1", ShareRequest())

    assert (sharing.links.links, sharing.links.tokens) == ({}, {})


def test_two_requests_racing_make_one_link_and_both_answer_it(sharing: Sharing) -> None:
    ada = sharing.user("ada")
    sharing.image(ada, "IMG1")
    first: list[str] = []
    # Another request makes the link between this one's read and its commit.
    sharing.transactions.before_commit = lambda: first.append(sharing.share(ada, "IMG1"))

    second = sharing.service.share(ada, "IMG1", ShareRequest())

    assert not second.created
    assert [second.link.token] == first
    assert len(sharing.links.tokens) == 1


def test_the_owner_reads_the_link_with_its_views_and_only_the_owner(sharing: Sharing) -> None:
    ada, bob = sharing.user("ada"), sharing.user("bob")
    sharing.image(ada, "IMG1")
    token = sharing.share(ada, "IMG1")
    sharing.opened_views(token)
    sharing.opened_views(token)

    current = sharing.service.current(ada, "IMG1")

    assert (current.token, current.share.views) == (token, 2)
    with pytest.raises(NotFound):
        sharing.service.current(bob, "IMG1")
    sharing.image(ada, "IMG2")
    with pytest.raises(NotFound):
        sharing.service.current(ada, "IMG2")


def test_a_revoked_link_is_gone_at_once_and_a_new_one_has_another_token(sharing: Sharing) -> None:
    ada = sharing.user("ada")
    sharing.image(ada, "IMG1")
    token = sharing.share(ada, "IMG1")

    sharing.service.revoke(ada, "IMG1")

    refused_alike(sharing, token)
    with pytest.raises(NotFound):
        sharing.service.current(ada, "IMG1")
    with pytest.raises(NotFound):
        sharing.service.revoke(ada, "IMG1")
    again = sharing.share(ada, "IMG1")
    assert again != token
    refused_alike(sharing, token)
    assert sharing.opened_views(again) == 1


def test_a_link_expires_at_its_time_and_sharing_again_makes_a_new_one(sharing: Sharing) -> None:
    ada = sharing.user("ada")
    sharing.image(ada, "IMG1")
    token = sharing.share(ada, "IMG1", expiresInDays=1)
    assert sharing.opened_views(token) == 1

    sharing.now = START + timedelta(days=1)

    refused_alike(sharing, token)
    with pytest.raises(NotFound):
        sharing.service.current(ada, "IMG1")
    renewed = sharing.service.share(ada, "IMG1", ShareRequest())
    assert renewed.created
    assert renewed.link.share.expires_at is None
    assert ShareTokens.hash(token) not in sharing.links.tokens  # the old token's record went with it
    sharing.now = START + timedelta(days=3650)
    assert sharing.opened_views(renewed.link.token) == 1  # a link without expiry never expires


def test_revoking_an_expired_link_removes_it_and_says_there_was_none(sharing: Sharing) -> None:
    ada = sharing.user("ada")
    sharing.image(ada, "IMG1")
    sharing.share(ada, "IMG1", expiresInDays=1)
    sharing.now = START + timedelta(days=2)

    with pytest.raises(NotFound):
        sharing.service.revoke(ada, "IMG1")

    assert (sharing.links.links, sharing.links.tokens) == ({}, {})


def test_deleting_the_image_removes_its_link_in_the_same_transaction(sharing: Sharing) -> None:
    ada = sharing.user("ada")
    sharing.image(ada, "IMG1")
    token = sharing.share(ada, "IMG1")

    sharing.images.delete(ada, "IMG1")

    assert {"image removal", "share removal", "share token removal"} <= set(
        sharing.transactions.committed[-1]
    )
    assert (sharing.links.links, sharing.links.tokens) == ({}, {})
    refused_alike(sharing, token)


def test_a_link_whose_image_is_being_deleted_does_not_open(sharing: Sharing) -> None:
    ada = sharing.user("ada")
    sharing.image(ada, "IMG1")
    token = sharing.share(ada, "IMG1")

    sharing.records.mark_deleting("ada", "IMG1", iso(START))

    refused_alike(sharing, token)


def test_a_suspended_or_gone_owners_links_do_not_open_until_restored(sharing: Sharing) -> None:
    ada = sharing.user("ada")
    sharing.image(ada, "IMG1")
    token = sharing.share(ada, "IMG1")
    user = sharing.users.users["ada"]

    sharing.users.users["ada"] = user.model_copy(update={"status": UserStatus.SUSPENDED})
    refused_alike(sharing, token)

    sharing.users.users["ada"] = user
    assert sharing.opened_views(token) == 1
    del sharing.users.users["ada"]
    refused_alike(sharing, token)


def test_rotating_the_secret_retires_every_link(sharing: Sharing) -> None:
    ada = sharing.user("ada")
    sharing.image(ada, "IMG1")
    token = sharing.share(ada, "IMG1")

    sharing.secret = "t" * 32

    refused_alike(sharing, token)
    with pytest.raises(NotFound):
        sharing.service.current(ada, "IMG1")
    fresh = sharing.service.share(ada, "IMG1", ShareRequest())
    assert fresh.created
    assert sharing.opened_views(fresh.link.token) == 1


@pytest.mark.parametrize(
    "guess",
    ["", "short", "A" * 43, "A" * 44, "../../images/ada", "a" * 42 + "=", '"><script>alert(1)</script>'],
)
def test_a_guess_or_a_malformed_token_is_refused_as_a_revoked_link_is(sharing: Sharing, guess: str) -> None:
    ada = sharing.user("ada")
    sharing.image(ada, "IMG1")
    sharing.share(ada, "IMG1")

    refused_alike(sharing, guess)


def test_each_address_has_its_views_a_minute_guesses_counted_too(sharing: Sharing) -> None:
    ada = sharing.user("ada")
    sharing.image(ada, "IMG1")
    token = sharing.share(ada, "IMG1")
    for _ in range(VIEWS_PER_MINUTE - 1):
        sharing.opened_views(token)
    refused_alike(sharing, "A" * 43)  # the fifth: a guess takes a place as a view does

    with pytest.raises(RateLimited) as limited:
        sharing.service.open(token, ADDRESS)

    assert limited.value.details["limit"] == VIEWS_PER_MINUTE
    assert limited.value.retry_after == 60
    assert "nothing was charged" not in limited.value.message
    assert sharing.opened_views(token, "198.51.100.1") == VIEWS_PER_MINUTE  # another address may
    sharing.now = START + timedelta(seconds=61)
    assert sharing.opened_views(token) == VIEWS_PER_MINUTE + 1


def test_addresses_are_kept_as_a_keyed_hash(sharing: Sharing) -> None:
    ada = sharing.user("ada")
    sharing.image(ada, "IMG1")
    sharing.opened_views(sharing.share(ada, "IMG1"))

    (key,) = sharing.windows.windows

    assert ADDRESS not in key
    assert key == f"{sharing.tokens.address_key(ADDRESS)}#{LimitedAction.VIEW_SHARED.value}"
    assert sharing.tokens.address_key(ADDRESS) != ShareTokens(lambda: "t" * 32).address_key(ADDRESS)


def test_an_address_that_keeps_losing_its_windows_race_is_told_to_come_back(sharing: Sharing) -> None:
    ada = sharing.user("ada")
    sharing.image(ada, "IMG1")
    token = sharing.share(ada, "IMG1")
    for _ in range(PLACE_ATTEMPTS):
        sharing.transactions.refuse("rate limit")

    with pytest.raises(Busy) as busy:
        sharing.service.open(token, ADDRESS)

    assert type(busy.value) is Busy  # not the address's limit: its window had room
    assert busy.value.retry_after == 1
    assert sharing.links.get("ada", "IMG1").views == 0  # type: ignore[union-attr]
