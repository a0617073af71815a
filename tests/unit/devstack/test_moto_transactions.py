"""moto's transactions, rolled back item by item: a cancelled one leaves every item as it was."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from devstack.aws import LOCAL_CREDENTIALS, MotoServer
from stacktools.template import REGION

# moto's backends are per process: every MotoServer of a test run shares its tables.
WALLETS, CLAIMS = f"wallets-{uuid.uuid4().hex[:8]}", f"claims-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    server = MotoServer()
    server.start()
    client = boto3.client(
        "dynamodb",
        endpoint_url=server.url,
        region_name=REGION,
        aws_access_key_id=LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
    for table in (WALLETS, CLAIMS):  # fresh tables for each test
        if table in client.list_tables()["TableNames"]:
            client.delete_table(TableName=table)
    client.create_table(
        TableName=WALLETS,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    client.create_table(
        TableName=CLAIMS,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    yield client
    server.stop()


def items(client: Any) -> dict[str, list[dict[str, Any]]]:
    return {table: client.scan(TableName=table)["Items"] for table in (WALLETS, CLAIMS)}


def put(table: str, item: dict[str, str], condition: str = "attribute_not_exists(pk)") -> dict[str, Any]:
    return {
        "Put": {
            "TableName": table,
            "Item": {k: {"S": v} for k, v in item.items()},
            "ConditionExpression": condition,
        }
    }


def add(amount: int, expected: int) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": WALLETS,
            "Key": {"pk": {"S": "U"}, "sk": {"S": "BALANCE"}},
            "UpdateExpression": "SET balance = balance + :amount",
            "ConditionExpression": "balance = :expected",
            "ExpressionAttributeValues": {":amount": {"N": str(amount)}, ":expected": {"N": str(expected)}},
        }
    }


def test_a_cancelled_transaction_leaves_every_item_as_it_was(dynamodb: Any) -> None:
    dynamodb.put_item(
        TableName=WALLETS, Item={"pk": {"S": "U"}, "sk": {"S": "BALANCE"}, "balance": {"N": "10"}}
    )
    dynamodb.put_item(TableName=CLAIMS, Item={"pk": {"S": "taken"}})
    before = items(dynamodb)

    with pytest.raises(dynamodb.exceptions.TransactionCanceledException) as cancelled:
        dynamodb.transact_write_items(
            TransactItems=[
                add(5, expected=10),  # would succeed
                put(WALLETS, {"pk": "U", "sk": "TXN#1"}),  # a new item
                put(CLAIMS, {"pk": "fresh"}),  # another table
                put(CLAIMS, {"pk": "taken"}),  # refused: the whole transaction is
            ]
        )

    codes = [reason["Code"] for reason in cancelled.value.response["CancellationReasons"]]
    assert codes == ["None", "None", "None", "ConditionalCheckFailed"]
    assert items(dynamodb) == before


def test_a_transaction_that_passes_writes_everything(dynamodb: Any) -> None:
    dynamodb.put_item(
        TableName=WALLETS, Item={"pk": {"S": "U"}, "sk": {"S": "BALANCE"}, "balance": {"N": "10"}}
    )

    dynamodb.transact_write_items(
        TransactItems=[
            add(5, expected=10),
            put(WALLETS, {"pk": "U", "sk": "TXN#1"}),
            put(CLAIMS, {"pk": "c"}),
        ]
    )

    wallet = dynamodb.get_item(TableName=WALLETS, Key={"pk": {"S": "U"}, "sk": {"S": "BALANCE"}})["Item"]
    assert wallet["balance"] == {"N": "15"}
    assert len(items(dynamodb)[WALLETS]) == 2
    assert items(dynamodb)[CLAIMS] == [{"pk": {"S": "c"}}]
