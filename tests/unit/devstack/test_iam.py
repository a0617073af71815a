"""The local stack's IAM: what each AWS call needs, and whether a function's template policies,
expanded as SAM expands them, allow it."""

from __future__ import annotations

from typing import Any

import pytest

from devstack.iam import Permission, Policy, Statement, UnknownOperation, function_policy, permissions_for
from stacktools.template import Template

REGION, ACCOUNT = "us-east-1", "123456789012"
TABLE = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table"


def test_a_transaction_needs_each_items_action_on_each_items_table() -> None:
    items = [
        {"Put": {"TableName": "images", "Item": {}}},
        {"Update": {"TableName": "coins", "Key": {}}},
        {"Delete": {"TableName": "images", "Key": {}}},
        {"ConditionCheck": {"TableName": "users", "Key": {}}},
    ]
    assert permissions_for("dynamodb", "TransactWriteItems", {"TransactItems": items}) == [
        Permission("dynamodb:PutItem", f"{TABLE}/images"),
        Permission("dynamodb:UpdateItem", f"{TABLE}/coins"),
        Permission("dynamodb:DeleteItem", f"{TABLE}/images"),
        Permission("dynamodb:ConditionCheckItem", f"{TABLE}/users"),
    ]


@pytest.mark.parametrize(
    ("service", "operation", "params", "needed"),
    [
        (
            "dynamodb",
            "Query",
            {"TableName": "t", "IndexName": "ByTime"},
            [("dynamodb:Query", f"{TABLE}/t/index/ByTime")],
        ),
        (
            "dynamodb",
            "BatchGetItem",
            {"RequestItems": {"a": {}, "b": {}}},
            [("dynamodb:BatchGetItem", f"{TABLE}/a"), ("dynamodb:BatchGetItem", f"{TABLE}/b")],
        ),
        (
            "s3",
            "HeadObject",
            {"Bucket": "b", "Key": "images/k"},
            [("s3:GetObject", "arn:aws:s3:::b/images/k")],
        ),
        (
            "s3",
            "CopyObject",
            {"Bucket": "b", "Key": "images/k", "CopySource": {"Bucket": "b", "Key": "incoming/k"}},
            [("s3:GetObject", "arn:aws:s3:::b/incoming/k"), ("s3:PutObject", "arn:aws:s3:::b/images/k")],
        ),
        ("s3", "ListObjectsV2", {"Bucket": "b", "Prefix": "images/"}, [("s3:ListBucket", "arn:aws:s3:::b")]),
        (
            "sqs",
            "SendMessage",
            {"QueueUrl": f"http://127.0.0.1:4566/{ACCOUNT}/jobs"},
            [("sqs:SendMessage", f"arn:aws:sqs:{REGION}:{ACCOUNT}:jobs")],
        ),
        (
            "secretsmanager",
            "GetSecretValue",
            {"SecretId": "token"},
            [
                (
                    "secretsmanager:GetSecretValue",
                    f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:token-??????",
                )
            ],
        ),
        (
            "ssm",
            "GetParameter",
            {"Name": "/stack/catalog"},
            [("ssm:GetParameter", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/stack/catalog")],
        ),
    ],
)
def test_each_call_needs_its_iam_action_on_the_resource_it_names(
    service: str, operation: str, params: dict[str, Any], needed: list[tuple[str, str]]
) -> None:
    assert permissions_for(service, operation, params) == [Permission(*pair) for pair in needed]


@pytest.mark.parametrize(
    ("service", "operation"), [("dynamodb", "DeleteTable"), ("s3", "PutBucketPolicy"), ("iam", "CreateUser")]
)
def test_a_call_not_known_to_need_anything_is_refused(service: str, operation: str) -> None:
    with pytest.raises(UnknownOperation, match=f"{service}.{operation}"):
        permissions_for(service, operation, {"TableName": "t", "Bucket": "b"})


def test_wildcards_match_as_iam_matches_them_and_a_deny_wins() -> None:
    policy = Policy(
        [
            Statement(
                "Allow", ("SQS:SendMessage*", "s3:Get?bject"), ("arn:aws:*:*:*:jobs", "arn:aws:s3:::b/*")
            ),
            Statement("Deny", ("s3:*",), ("arn:aws:s3:::b/secret/*",)),
        ]
    )
    assert policy.allows(Permission("sqs:SendMessageBatch", "arn:aws:sqs:us-east-1:1:jobs"))
    assert policy.allows(Permission("s3:GetObject", "arn:aws:s3:::b/images/k"))
    assert not policy.allows(Permission("s3:GetObject", "arn:aws:s3:::b/secret/k"))
    assert not policy.allows(Permission("s3:GetObjectAcl", "arn:aws:s3:::b/images/k"))
    assert not policy.allows(Permission("sqs:SendMessage", "arn:aws:sqs:us-east-1:1:jobs-dlq"))


def test_a_functions_policy_templates_are_expanded_as_sam_expands_them(template: Template) -> None:
    policy = function_policy(template, "UploadUrlFunction")
    images = f"{TABLE}/{template.physical['ImagesTable'].ref}"
    bucket = f"arn:aws:s3:::{template.physical['ImagesBucket'].ref}"

    assert policy.allows(Permission("dynamodb:PutItem", images))  # DynamoDBWritePolicy
    assert not policy.allows(Permission("dynamodb:DeleteItem", images))  # ... which has no DeleteItem
    assert not policy.allows(Permission("dynamodb:GetItem", images))
    assert policy.allows(Permission("s3:PutObject", f"{bucket}/incoming/u/i"))  # the inline statement
    assert not policy.allows(Permission("s3:PutObject", f"{bucket}/images/u/i.png"))
