"""Deleting an account through the functions, on moto with the template's tables, bucket and queue, every
call held to the functions' template policies: a user with uploaded and generated images (thumbnails,
turns), an edit thread, a share link, an order and its purchase, rate-limit windows, an idempotency
record, an export and two sessions asks for the deletion; their tokens answer 401 at once and a sign-in
409; the job removes everything, and a listing of every table and of the bucket finds nothing of them
but the money records, without name or email. A job interrupted half-way is queued again by the
sweeper and leaves the same nothing; the same Google account then signs up without a second welcome;
an admin deletes another user the same way."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest

from imagegen.composition import Composition
from imagegen.errors import StorageUnavailable
from imagegen.ids import new_id, now_iso, utc_now
from imagegen.models.coins import LedgerReason
from imagegen.models.payments import Order, OrderStatus, Price
from imagegen.repositories.coins import CoinRepository
from imagegen.repositories.erasure import UserRecordsRepository
from imagegen.repositories.idempotency import IdempotencyRecords
from imagegen.repositories.orders import OrderRepository
from imagegen.repositories.rate_limits import RateLimitRepository
from imagegen.repositories.sessions import SessionRepository
from imagegen.repositories.shares import ShareRepository
from imagegen.repositories.users import UserRepository
from imagegen.services.account_deletion import AccountEraser
from imagegen.services.object_store import ObjectStore
from imagegen.services.unit_of_work import Contended, UnitOfWork
from stacktools.samples import sample_event
from stacktools.template import Template
from standins.gemini import LocalGemini
from tests import images
from tests.conftest import ADMIN_EMAIL, ServedIssuer
from tests.integration.conftest import (
    Invoke,
    SignedIn,
    body_of,
    completed_upload,
    object_created,
    request_upload,
)
from tests.integration.functions.test_generation import batch, generate
from tests.integration.functions.test_shares import share

SignIn = Callable[[str], SignedIn]
MONEY = {reason.value for reason in (LedgerReason.PURCHASE, LedgerReason.PURCHASE_REFUND)} | {
    LedgerReason.DISPUTE.value,
    LedgerReason.DISPUTE_WON.value,
}


def delete_me(invoke: Invoke, session: SignedIn, email: str) -> dict[str, Any]:
    return invoke(
        "UsersFunction",
        sample_event("users/delete_my_account.json", token=session.token, body={"email": email}),
    )


def queued_deletions(template: Template) -> Iterator[dict[str, Any]]:
    """Each message waiting in the deletion queue, taken from it, as the job's SQS event."""
    sqs = boto3.client("sqs")
    url = template.physical["DeletionQueue"].ref
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            event = sample_event("account_deletion/sqs_batch.json")
            event["Records"][0]["body"] = message["Body"]
            yield event


def run_the_job(invoke: Invoke, template: Template) -> int:
    """The deletion function on every queued message: how many it handled."""
    handled = 0
    for event in queued_deletions(template):
        assert invoke("AccountDeletionFunction", event) == {"batchItemFailures": []}
        handled += 1
    return handled


def generated(invoke: Invoke, template: Template, token: str, key: str | None = None) -> str:
    """A generated image drawn by the worker, taken in by the pipeline with its thumbnail: its id."""
    image = body_of(generate(invoke, token, "a lighthouse at dusk", key))["image"]
    assert invoke("GenerateWorkerFunction", batch([{"userId": image["userId"], "imageId": image["id"]}])) == {
        "batchItemFailures": []
    }
    finish(invoke, template, image["userId"], image["id"])
    return str(image["id"])


def finish(invoke: Invoke, template: Template, user_id: str, image_id: str) -> None:
    """The pipeline's events for an image's original: measured, then thumbnailed."""
    listed = boto3.client("s3").list_objects_v2(
        Bucket=template.physical["ImagesBucket"].ref, Prefix=f"images/{user_id}/{image_id}"
    )
    (original,) = [entry["Key"] for entry in listed["Contents"]]
    invoke("MetadataFunction", object_created(template, original))
    assert invoke("ThumbnailFunction", object_created(template, original))["outcome"] == "thumbnailed"


def edited(invoke: Invoke, template: Template, token: str, source: str) -> str:
    event = sample_event("images/edit_image.json", token=token, path_id=source, body={"prompt": "at night"})
    response = invoke("GenerateFunction", event)
    assert response["statusCode"] == 202, response
    image = body_of(response)["image"]
    assert invoke("GenerateWorkerFunction", batch([{"userId": image["userId"], "imageId": image["id"]}])) == {
        "batchItemFailures": []
    }
    finish(invoke, template, image["userId"], image["id"])
    return str(image["id"])


def purchase(services: Composition, user_id: str) -> str:
    """A paid order of the user and its purchase in the ledger (as Stripe's paid checkout leaves them)."""
    now = now_iso()
    order = Order(
        order_id=new_id(),
        user_id=user_id,
        pack_id="starter",
        coins=500,
        price=Price(amount=199, currency="usd"),
        status=OrderStatus.CREATED,
        stripe_session_id="cs_test_deleted",
        payment_intent_id="pi_test_deleted",
        created_at=now,
        updated_at=now,
    )
    orders = OrderRepository(services.aws.dynamodb, services.settings.payments.orders_table)
    UnitOfWork(services.transactions).with_write(orders.create_write(order), Contended).commit()
    services.coins.settle_order(
        user_id,
        500,
        LedgerReason.PURCHASE,
        f"purchase#{order.order_id}",
        order.order_id,
        unit=UnitOfWork(services.transactions).with_write(
            orders.paid_write(order.order_id, "pi_test_deleted", now_iso()), Contended
        ),
    )
    return order.order_id


def an_export(template: Template, user_id: str) -> None:
    """What the data export leaves: its zip under exports/ and its record in the users table."""
    boto3.client("s3").put_object(
        Bucket=template.physical["ImagesBucket"].ref, Key=f"exports/{user_id}/export.zip", Body=b"PK"
    )
    boto3.client("dynamodb").put_item(
        TableName=template.physical["UsersTable"].ref,
        Item={"pk": {"S": f"EXPORT#{user_id}"}, "status": {"S": "READY"}},
    )


def everything(template: Template) -> tuple[dict[str, list[dict[str, Any]]], list[str]]:
    """Every item of every table (listed, not named), and every key of the bucket."""
    dynamodb = boto3.client("dynamodb")
    tables: dict[str, list[dict[str, Any]]] = {}
    for name in dynamodb.list_tables()["TableNames"]:
        items: list[dict[str, Any]] = []
        scan: dict[str, Any] = {"TableName": name}
        while True:
            page = dynamodb.scan(**scan)
            items.extend(page["Items"])
            if "LastEvaluatedKey" not in page:
                break
            scan["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        tables[name] = items
    s3 = boto3.client("s3")
    bucket = template.physical["ImagesBucket"].ref
    keys = [
        entry["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for entry in page.get("Contents", [])
    ]
    return tables, keys


def traces(template: Template, user: dict[str, Any], subject: str) -> dict[str, list[Any]]:
    """What is left anywhere that names the user (their id, email or Google subject), by table, and the
    bucket's keys under ``"bucket"``."""
    tables, keys = everything(template)
    marks = (user["id"], user["email"], subject)
    found: dict[str, list[Any]] = {}
    for name, items in tables.items():
        named = [item for item in items if any(mark in json.dumps(item) for mark in marks)]
        if named:
            found[name] = named
    named_keys = [key for key in keys if user["id"] in key]
    if named_keys:
        found["bucket"] = named_keys
    return found


def only_money_records(found: dict[str, list[Any]], template: Template, user: dict[str, Any]) -> None:
    """``found`` holds the user's order and the ledger entries of its payment, nothing else, and none
    with a name or an email."""
    orders, coins = template.physical["OrdersTable"].ref, template.physical["CoinsTable"].ref
    assert set(found) == {orders, coins}, found
    assert {item["reason"]["S"] for item in found[coins]} <= MONEY
    assert len(found[orders]) == 1
    for item in [*found[orders], *found[coins]]:
        text = json.dumps(item)
        assert user["email"] not in text
        assert "Ada" not in text


@pytest.fixture
def a_full_account(
    invoke: Invoke, sign_in: SignIn, template: Template, gemini: LocalGemini, services: Composition
) -> dict[str, Any]:
    """Ada, with something of every kind, and two sessions; Bob beside her, with an image of his own."""
    ada, other_tab = sign_in("ada@example.com"), sign_in("ada@example.com")
    uploaded = completed_upload(invoke, template, ada.token, images.png(80, 60), "image/png")
    finish(invoke, template, ada.user["id"], uploaded)
    drawn = generated(invoke, template, ada.token, key="a-key-of-ada")
    edit = edited(invoke, template, ada.token, drawn)
    in_flight = request_upload(invoke, ada.token, images.png(10, 10), "image/png")  # its file still coming
    assert share(invoke, ada, drawn)["statusCode"] == 201
    order_id = purchase(services, ada.user["id"])
    an_export(template, ada.user["id"])
    bob = sign_in("bob@example.com")
    bobs = completed_upload(invoke, template, bob.token, images.png(30, 30), "image/png")
    return {
        "ada": ada,
        "other_tab": other_tab,
        "bob": bob,
        "bobs_image": bobs,
        "order": order_id,
        "images": [uploaded, drawn, edit, in_flight["image"]["id"]],
    }


def test_a_deleted_account_leaves_nothing_of_the_person_but_the_money_records(
    invoke: Invoke,
    template: Template,
    a_full_account: dict[str, Any],
    issuer: ServedIssuer,
    services: Composition,
) -> None:
    ada, other_tab, bob = a_full_account["ada"], a_full_account["other_tab"], a_full_account["bob"]
    user = ada.user
    subject = services.users.get(user["id"]).google_sub
    before = traces(template, user, subject)
    assert {
        template.physical[name].ref
        for name in ("SessionsTable", "SharesTable", "RateLimitsTable", "IdempotencyTable", "ImagesTable")
    } <= set(before)
    assert {key.split("/")[0] for key in before["bucket"]} == {"images", "thumbnails", "turns", "exports"}

    refused = delete_me(invoke, ada, "someone.else@example.com")
    assert (refused["statusCode"], body_of(refused)["error"]["code"]) == (422, "VALIDATION_ERROR")
    accepted = delete_me(invoke, ada, "ADA@example.com")

    assert accepted["statusCode"] == 202, accepted
    assert body_of(accepted)["deletion"]["userId"] == user["id"]
    for session in (ada, other_tab):
        mine = invoke("UsersFunction", sample_event("users/my_profile.json", token=session.token))
        assert (mine["statusCode"], body_of(mine)["error"]["code"]) == (401, "UNAUTHORIZED")
    signing_in = invoke(
        "AuthFunction",
        sample_event("auth/sign_in_with_google.json", body={"token": issuer.id_token("ada@example.com")}),
    )
    assert (signing_in["statusCode"], body_of(signing_in)["error"]["code"]) == (409, "ACCOUNT_DELETING")

    assert run_the_job(invoke, template) == 1

    only_money_records(traces(template, user, subject), template, user)
    bobs = invoke(
        "ListImagesFunction",
        sample_event("images/get_image.json", token=bob.token, path_id=a_full_account["bobs_image"]),
    )
    assert bobs["statusCode"] == 200
    order = OrderRepository(services.aws.dynamodb, services.settings.payments.orders_table).get(
        a_full_account["order"]
    )
    assert order is not None
    assert (order.user_id, order.stripe_session_id, order.payment_intent_id, order.status) == (
        user["id"],
        "cs_test_deleted",
        "pi_test_deleted",
        OrderStatus.PAID,
    )


class FailsAfterImages:
    """The bucket, failing the first prefix's removal: a job cut short after the images went."""

    def __init__(self, store: ObjectStore) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def delete_under(self, prefix: str) -> int:
        raise StorageUnavailable("S3 stopped answering")


def test_an_interrupted_deletion_is_resumed_by_the_sweeper_and_leaves_the_same_nothing(
    invoke: Invoke,
    template: Template,
    a_full_account: dict[str, Any],
    issuer: ServedIssuer,
    services: Composition,
) -> None:
    ada = a_full_account["ada"]
    user = ada.user
    subject = services.users.get(user["id"]).google_sub
    assert delete_me(invoke, ada, user["email"])["statusCode"] == 202
    list(queued_deletions(template))  # the message is lost: the job crashed with it
    cut_short = AccountEraser(
        UserRepository(services.aws.dynamodb, services.settings.erasure.users_table),
        user_records(services),
        services.images,
        FailsAfterImages(services.storage),
        services.transactions,
    )
    with pytest.raises(StorageUnavailable):
        cut_short.erase(user["id"])
    assert services.image_records.get(user["id"], a_full_account["images"][1]) is None

    assert services.deletion_sweep.resume(utc_now()) == 0  # not stale yet: a job may be running
    assert services.deletion_sweep.resume(utc_now() + timedelta(hours=1)) == 1
    assert run_the_job(invoke, template) == 1

    only_money_records(traces(template, user, subject), template, user)
    assert services.deletion_sweep.resume(utc_now() + timedelta(hours=1)) == 0


def user_records(services: Composition) -> UserRecordsRepository:
    """The user's records in the other tables, as the deletion job's composition builds them."""
    dynamodb, erasure = services.aws.dynamodb, services.settings.erasure
    return UserRecordsRepository(
        services.image_records,
        ShareRepository(dynamodb, services.settings.shares.table),
        IdempotencyRecords(dynamodb, erasure.idempotency_table),
        RateLimitRepository(dynamodb, erasure.rate_limits_table),
        SessionRepository(dynamodb, erasure.sessions_table),
        CoinRepository(dynamodb, services.settings.coins.table),
    )


def delete_user(invoke: Invoke, session: SignedIn, user_id: str) -> dict[str, Any]:
    return invoke(
        "UsersFunction", sample_event("users/delete_user.json", token=session.token, path_id=user_id)
    )


def test_an_admin_deletes_a_user_who_then_signs_up_again_without_a_second_welcome(
    invoke: Invoke, sign_in: SignIn, template: Template
) -> None:
    admin, ada, bob = sign_in(ADMIN_EMAIL), sign_in("ada@example.com"), sign_in("bob@example.com")

    by_a_user = delete_user(invoke, bob, ada.user["id"])
    of_oneself = delete_user(invoke, admin, admin.user["id"])
    deleted = delete_user(invoke, admin, ada.user["id"])

    assert (by_a_user["statusCode"], body_of(by_a_user)["error"]["code"]) == (403, "FORBIDDEN")
    assert (of_oneself["statusCode"], body_of(of_oneself)["error"]["code"]) == (409, "CONFLICT")
    assert deleted["statusCode"] == 202, deleted
    listed = body_of(invoke("UsersFunction", sample_event("users/list_users.json", token=admin.token)))
    assert {user["email"]: user["status"] for user in listed["users"]}["ada@example.com"] == "DELETING"
    mine = invoke("UsersFunction", sample_event("users/my_profile.json", token=ada.token))
    assert mine["statusCode"] == 401
    assert run_the_job(invoke, template) == 1

    again = sign_in("ada@example.com")

    assert again.user["id"] != ada.user["id"]
    assert again.user["coins"] == 0
    ledger = invoke("UsersFunction", sample_event("users/my_transactions.json", token=again.token))
    assert body_of(ledger)["transactions"] == []
    assert sign_in("carol@example.com").user["coins"] == 1000  # a new Google account is welcome as before


def test_a_stray_or_malformed_message_deletes_nothing(invoke: Invoke, sign_in: SignIn) -> None:
    ada = sign_in("ada@example.com")
    stray = sample_event("account_deletion/sqs_batch.json")
    stray["Records"][0]["body"] = json.dumps({"userId": ada.user["id"]})  # her deletion was never asked for
    malformed = sample_event("account_deletion/sqs_batch.json")
    malformed["Records"][0]["body"] = "not json"

    assert invoke("AccountDeletionFunction", stray) == {"batchItemFailures": []}
    assert invoke("AccountDeletionFunction", malformed) == {"batchItemFailures": []}

    mine = invoke("UsersFunction", sample_event("users/my_profile.json", token=ada.token))
    assert mine["statusCode"] == 200
    assert body_of(mine)["user"]["status"] == "ACTIVE"
