"""Asking for an account's deletion, on in-memory twins: confirmed by the account's email (another is
refused, changing nothing), or by an admin (not of themselves); every session ends at once and a sign-in
meanwhile is refused saying so; the job is queued, and queued again by the sweeper when it is under way
too long. Once the account is gone, its Google account signs up again as a new user without a second
welcome."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from imagegen.errors import (
    AccountDeleting,
    Conflict,
    Invalid,
    NotFound,
    QueueUnavailable,
    StorageUnavailable,
    Unauthorized,
)
from imagegen.models.auth import Caller
from imagegen.models.coins import LedgerReason
from imagegen.models.images import UploadRequest
from imagegen.models.users import Role, UserStatus, UserUpdate
from imagegen.services.account_deletion import NOT_THE_EMAIL, AccountDeletions, AccountEraser, DeletionSweep
from imagegen.services.auth import SignIn
from imagegen.services.unit_of_work import UnitOfWork
from imagegen.services.users import WelcomeMarks
from tests.fakes import InMemoryObjects
from tests.fakes.accounts import InMemoryUsers
from tests.fakes.images import UPLOAD_COST, ImageParts
from tests.fast.services.test_auth import WELCOME, Signing, bearer

RESUME_AFTER = timedelta(minutes=30)


class RecordedQueue:
    """The deletion queue: what was sent, or ``QueueUnavailable`` while ``down``."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.down = False

    def send(self, user_id: str) -> None:
        if self.down:
            raise QueueUnavailable("the deletion queue did not take the job")
        self.sent.append(user_id)


class Deleting(Signing):
    """Sign-in and deletions on the same twins."""

    def __init__(self) -> None:
        super().__init__()
        self.queue = RecordedQueue()
        self.deletions = AccountDeletions(
            self.users, self.transactions, self.queue, WelcomeMarks(lambda: "w" * 32), clock=self.clock
        )
        self.sweep = DeletionSweep(self.users, self.queue, RESUME_AFTER)

    def caller(self, signed_in: SignIn) -> Caller:
        return self.authenticate(signed_in.tokens)

    def remove(self, user_id: str) -> None:
        """The job's last step: the claims and the user record go."""
        user = self.users.get(user_id)
        assert user is not None
        UnitOfWork(self.transactions).with_writes(self.users.removal_writes(user), Conflict).commit()

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock.now, tz=UTC)


@pytest.fixture
def deleting() -> Deleting:
    return Deleting()


def test_another_email_is_refused_and_changes_nothing(deleting: Deleting) -> None:
    ada = deleting.sign_in("ada@example.com")

    with pytest.raises(Invalid) as refused:
        deleting.deletions.delete_own(deleting.caller(ada), "someone@example.com")

    assert refused.value.details["fields"] == [{"field": "email", "in": "body", "message": NOT_THE_EMAIL}]
    assert deleting.caller(ada).user.status is UserStatus.ACTIVE
    assert deleting.queue.sent == []


def test_the_accounts_email_in_any_case_ends_every_session_at_once_and_queues_the_job(
    deleting: Deleting,
) -> None:
    ada = deleting.sign_in("ada@example.com")
    other_tab = deleting.sign_in("ada@example.com")

    deletion = deleting.deletions.delete_own(deleting.caller(ada), " Ada@Example.COM ")

    assert deletion.user_id == ada.user.id
    assert deleting.queue.sent == [ada.user.id]
    user = deleting.users.get(ada.user.id)
    assert user is not None
    assert (user.status, user.deletion_requested_at) == (UserStatus.DELETING, deletion.requested_at)
    for tokens in (ada.tokens, other_tab.tokens):
        with pytest.raises(Unauthorized):
            deleting.auth.authenticate(bearer(tokens.token))
        with pytest.raises(Unauthorized):
            deleting.auth.refresh(tokens.refresh_token)


def test_a_sign_in_while_the_deletion_is_under_way_is_refused_saying_so_and_opens_no_session(
    deleting: Deleting,
) -> None:
    ada = deleting.sign_in("ada@example.com")
    deleting.deletions.delete_own(deleting.caller(ada), "ada@example.com")
    sessions = dict(deleting.sessions.sessions)

    with pytest.raises(AccountDeleting) as refused:
        deleting.sign_in("ada@example.com")

    assert refused.value.message.startswith("This account is being deleted.")
    assert refused.value.retry_after == 60
    assert deleting.sessions.sessions == sessions
    assert len(deleting.users.users) == 1


def test_asked_again_the_deletion_is_the_one_first_asked_for(deleting: Deleting) -> None:
    ada = deleting.sign_in("ada@example.com")
    admin = deleting.sign_in("admin@example.com")
    first = deleting.deletions.delete_own(deleting.caller(ada), "ada@example.com")
    deleting.later(5)

    again = deleting.deletions.delete_user(deleting.caller(admin), ada.user.id)

    assert again == first
    assert deleting.queue.sent == [ada.user.id, ada.user.id]


def test_an_admin_deletes_another_user_but_not_themselves_here(deleting: Deleting) -> None:
    ada = deleting.sign_in("ada@example.com")
    admin = deleting.sign_in("admin@example.com")
    admin_caller = deleting.caller(admin)

    with pytest.raises(Conflict):
        deleting.deletions.delete_user(admin_caller, admin.user.id)
    with pytest.raises(NotFound):
        deleting.deletions.delete_user(admin_caller, "01JNOSUCHUSER0000000000000")
    deleting.deletions.delete_user(admin_caller, ada.user.id)

    assert deleting.users.users[ada.user.id].status is UserStatus.DELETING
    assert deleting.users.users[admin.user.id].status is UserStatus.ACTIVE


def test_a_user_being_deleted_is_not_changed_by_an_admin(deleting: Deleting) -> None:
    ada = deleting.sign_in("ada@example.com")
    deleting.deletions.delete_own(deleting.caller(ada), "ada@example.com")
    admin = deleting.caller(deleting.sign_in("admin@example.com"))
    admin = Caller(
        user=admin.user.model_copy(update={"roles": [Role.USER, Role.ADMIN]}), session_id="S", balance=0
    )

    with pytest.raises(NotFound):
        deleting.accounts.update(admin, ada.user.id, UserUpdate(status=UserStatus.ACTIVE))
    assert deleting.users.users[ada.user.id].status is UserStatus.DELETING


def test_an_admin_cannot_set_a_status_of_deleting() -> None:
    with pytest.raises(ValidationError, match="status must be ACTIVE or SUSPENDED"):
        UserUpdate.model_validate({"status": "DELETING"})


def test_a_deletion_the_queue_did_not_take_is_started_and_the_sweeper_queues_it_once_stale(
    deleting: Deleting,
) -> None:
    ada = deleting.sign_in("ada@example.com")
    deleting.queue.down = True

    deleting.deletions.delete_own(deleting.caller(ada), "ada@example.com")
    deleting.queue.down = False

    assert deleting.users.users[ada.user.id].status is UserStatus.DELETING
    assert deleting.sweep.resume(deleting.now() + RESUME_AFTER - timedelta(seconds=1)) == 0
    assert deleting.queue.sent == []
    assert deleting.sweep.resume(deleting.now() + RESUME_AFTER + timedelta(seconds=1)) == 1
    assert deleting.queue.sent == [ada.user.id]


def test_the_same_google_account_signs_up_again_as_a_new_user_without_a_second_welcome(
    deleting: Deleting,
) -> None:
    ada = deleting.sign_in("ada@example.com")
    deleting.deletions.delete_own(deleting.caller(ada), "ada@example.com")
    deleting.remove(ada.user.id)

    again = deleting.sign_in("ada@example.com")
    bob = deleting.sign_in("bob@example.com")

    assert again.user.id != ada.user.id
    assert deleting.caller(again).balance == 0
    reasons = [entry.reason for (user, _), entry in deleting.wallets.entries.items() if user == again.user.id]
    assert LedgerReason.WELCOME not in reasons
    assert deleting.caller(bob).balance == WELCOME
    assert deleting.users.welcomed == {WelcomeMarks(lambda: "w" * 32)(ada.user.google_sub)}
    assert ada.user.google_sub not in next(iter(deleting.users.welcomed))


# The job, on the images' twins


class RecordsOnTwins:
    """``UserRecords`` over the images' and wallets' twins; what it removed from the other tables is
    written down, in order."""

    def __init__(self, parts: ImageParts) -> None:
        self.parts = parts
        self.removed: list[object] = []

    def image_ids(self, user_id: str) -> list[str]:
        held = [*self.parts.records.records, *self.parts.records.deleting]
        return sorted({image_id for owner, image_id in held if owner == user_id})

    def remove_shares(self, user_id: str) -> None:
        self.removed.append(("shares", user_id))

    def remove_idempotency_records(self, user_id: str) -> None:
        self.removed.append(("idempotency", user_id))

    def remove_rate_limit_windows(self, keys: Iterable[str]) -> None:
        self.removed.append(("windows", tuple(keys)))

    def remove_sessions(self, user_id: str) -> None:
        self.removed.append(("sessions", user_id))

    def remove_wallet_except(self, user_id: str, kept: Iterable[str]) -> None:
        wallets, keep = self.parts.wallets, set(kept)
        wallets.accounts.pop(user_id, None)
        for key, entry in list(wallets.entries.items()):
            if key[0] == user_id and entry.reason.value not in keep:
                del wallets.entries[key]


class Erasing:
    """Two users with images, files and coins; Ada's deletion asked for."""

    def __init__(self) -> None:
        self.parts = ImageParts()
        self.users = InMemoryUsers()
        self.ada = self.parts.open_account("ada", 1000)
        self.bob = self.parts.open_account("bob", 1000)
        for caller in (self.ada, self.bob):
            new = self.users.creation(caller.user)
            self.parts.transactions.write([new.subject_claim, new.email_claim, new.profile])
            upload = UploadRequest.model_validate(
                {"filename": "a.png", "contentType": "image/png", "size": 10}
            )
            self.parts.uploads().request_upload(caller, upload)  # PENDING: its file never came
            for prefix in ("images", "thumbnails", "turns", "incoming", "exports"):
                self.parts.objects.write(f"{prefix}/{caller.user_id}/object", b"x", "image/png")
        self.parts.coins.settle_order("ada", 500, LedgerReason.PURCHASE, "purchase#O1", "O1")
        self.records = RecordsOnTwins(self.parts)
        self.eraser = AccountEraser(
            self.users, self.records, self.parts.images, self.parts.objects, self.parts.transactions
        )

    def ask(self) -> None:
        user = self.users.get("ada")
        assert user is not None
        self.parts.transactions.write(self.users.deletion_writes(user, "2026-12-05T00:00:00.000Z", "mark"))


@pytest.fixture
def erasing() -> Erasing:
    return Erasing()


def test_the_job_removes_everything_of_the_user_but_the_money_records(erasing: Erasing) -> None:
    erasing.ask()

    assert erasing.eraser.erase("ada")

    assert erasing.users.get("ada") is None
    assert erasing.users.find_id_by_google_subject("sub-ada") is None
    assert erasing.records.image_ids("ada") == []
    assert [key for key in erasing.parts.objects.objects if "/ada/" in key] == []
    assert "ada" not in erasing.parts.wallets.accounts
    kept = [entry.reason for (owner, _), entry in erasing.parts.wallets.entries.items() if owner == "ada"]
    assert kept == [LedgerReason.PURCHASE]
    assert erasing.records.removed == [
        ("shares", "ada"),
        ("idempotency", "ada"),
        ("windows", ("ada#generate", "ada#upload", "ada#checkout")),
        ("sessions", "ada"),
    ]
    # Bob is untouched: his image, his files, his coins.
    assert len(erasing.records.image_ids("bob")) == 1
    assert len([key for key in erasing.parts.objects.objects if "/bob/" in key]) == 5
    assert erasing.parts.coins.balance("bob") == 1000 - UPLOAD_COST


def test_the_job_changes_nothing_for_a_user_whose_deletion_was_not_asked_for_or_who_is_gone(
    erasing: Erasing,
) -> None:
    assert not erasing.eraser.erase("ada")  # never asked for
    assert erasing.users.get("ada") is not None
    assert len([key for key in erasing.parts.objects.objects if "/ada/" in key]) == 5
    erasing.ask()
    assert erasing.eraser.erase("ada")

    assert not erasing.eraser.erase("ada")  # gone: a message delivered again finds nothing to do


class FailingStore(InMemoryObjects):
    """The bucket, failing its first prefix's removal once: a job cut short after the images."""

    def __init__(self, objects: InMemoryObjects) -> None:
        super().__init__()
        self.objects = objects.objects
        self.failures = 1

    def delete_under(self, prefix: str) -> int:
        if self.failures:
            self.failures -= 1
            raise StorageUnavailable("S3 stopped answering")
        return super().delete_under(prefix)


def test_a_job_cut_short_is_finished_by_running_it_again(erasing: Erasing) -> None:
    erasing.ask()
    store = FailingStore(erasing.parts.objects)
    eraser = AccountEraser(
        erasing.users, erasing.records, erasing.parts.images, store, erasing.parts.transactions
    )

    with pytest.raises(StorageUnavailable):
        eraser.erase("ada")
    assert erasing.records.image_ids("ada") == []  # the images went before the cut
    assert erasing.users.get("ada") is not None  # the account is still there, being deleted

    assert eraser.erase("ada")
    assert erasing.users.get("ada") is None
    assert [key for key in erasing.parts.objects.objects if "/ada/" in key] == []
