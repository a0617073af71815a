"""IAM for the local stack: each function may make only the AWS calls its template policies allow.

moto enforces no policy, so a function that starts calling S3 or DynamoDB in a new way would pass
every local test and fail only in AWS. Here each function's ``Policies`` are expanded as SAM
expands them (its own policy templates, from ``aws-sam-translator``; inline statements as
written), their intrinsics resolved to the local resources, and every call the function's code
makes through botocore (its own clients and Powertools') is checked before it is sent: a call
no statement allows fails as AWS fails it, with ``AccessDenied``, naming the action and resource.
Presigning is not checked: it is no call, and a presigned URL is only refused when it is used.

What a call needs is worked out from the call itself (``permissions_for``): the IAM action of
each operation, and the ARN of the table, index, object, queue, secret or parameter it names;
a transaction needs the action of each of its items on each item's table. An operation this
module does not know is refused, so a new kind of call is a visible decision.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from botocore.exceptions import ClientError

from stacktools.template import ACCOUNT_ID, REGION, Template

PARTITION = "aws"


@dataclass(frozen=True, slots=True)
class Permission:
    """One IAM action on one resource ARN."""

    action: str
    resource: str

    def __str__(self) -> str:
        return f"{self.action} on {self.resource}"


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement of an identity policy, intrinsics resolved."""

    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]

    def covers(self, permission: Permission) -> bool:
        return any(
            _matches(pattern, permission.action, ignore_case=True) for pattern in self.actions
        ) and any(_matches(pattern, permission.resource, ignore_case=False) for pattern in self.resources)


def _matches(pattern: str, value: str, ignore_case: bool) -> bool:
    """IAM's wildcards: ``*`` any run of characters, ``?`` one (``fnmatch`` would also read ``[``)."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE if ignore_case else 0) is not None


class Policy:
    """A function's statements: a permission is allowed if one statement allows it and none denies it."""

    def __init__(self, statements: Iterable[Statement]) -> None:
        self.statements = tuple(statements)

    def allows(self, permission: Permission) -> bool:
        covering = [statement for statement in self.statements if statement.covers(permission)]
        return any(s.effect == "Allow" for s in covering) and not any(s.effect == "Deny" for s in covering)

    def to_data(self) -> list[dict[str, Any]]:
        """Plain data, to hand to a function's process."""
        return [
            {"effect": s.effect, "actions": list(s.actions), "resources": list(s.resources)}
            for s in self.statements
        ]

    @classmethod
    def from_data(cls, data: Sequence[Mapping[str, Any]]) -> Policy:
        return cls(
            Statement(item["effect"], tuple(item["actions"]), tuple(item["resources"])) for item in data
        )


@cache
def _policy_templates() -> Any:
    from samtranslator.policy_template_processor.processor import (  # type: ignore[import-untyped]
        PolicyTemplatesProcessor,
    )

    return PolicyTemplatesProcessor(PolicyTemplatesProcessor.get_default_policy_templates_json())


def function_policy(template: Template, logical_id: str) -> Policy:
    """The statements of a function's ``Policies``, SAM's policy templates expanded, resolved against
    ``template``'s provisioned resources, and the ``sqs:SendMessage`` SAM adds for each queue its
    ``EventInvokeConfig`` names as a destination."""
    properties = template.resources[logical_id]["Properties"]
    policies = properties.get("Policies", [])
    statements: list[Statement] = []
    for policy in policies if isinstance(policies, list) else [policies]:
        if not isinstance(policy, Mapping):
            raise ValueError(f"{logical_id}: managed policy {policy!r} cannot be checked locally")
        if "Statement" in policy:
            document = policy
        else:
            ((name, parameters),) = policy.items()
            document = _policy_templates().convert(name, parameters)
        for statement in template.resolve(document["Statement"]):
            statements.append(
                Statement(
                    statement["Effect"],
                    tuple(_listed(statement["Action"])),
                    tuple(_listed(statement["Resource"])),
                )
            )
    destinations = template.resolve(properties.get("EventInvokeConfig", {})).get("DestinationConfig", {})
    for destination in destinations.values():
        if destination.get("Type") == "SQS":
            statements.append(Statement("Allow", ("sqs:SendMessage",), (destination["Destination"],)))
    return Policy(statements)


def _listed(value: str | Sequence[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


# ---------------------------------------------------------------------------- what a call needs


def _table(name: str) -> str:
    return f"arn:{PARTITION}:dynamodb:{REGION}:{ACCOUNT_ID}:table/{name}"


def _object(bucket: str, key: str) -> str:
    return f"arn:{PARTITION}:s3:::{bucket}/{key}"


def _queue(url: str) -> str:
    return f"arn:{PARTITION}:sqs:{REGION}:{ACCOUNT_ID}:{url.rstrip('/').rsplit('/', 1)[-1]}"


def _secret(secret_id: str) -> str:
    # A secret named rather than by ARN matches any ARN of that name (AWS appends 6 characters).
    return (
        secret_id
        if secret_id.startswith("arn:")
        else f"arn:{PARTITION}:secretsmanager:{REGION}:{ACCOUNT_ID}:secret:{secret_id}-??????"
    )


def _parameter(name: str) -> str:
    return f"arn:{PARTITION}:ssm:{REGION}:{ACCOUNT_ID}:parameter/{name.lstrip('/')}"


def _dynamodb(operation: str, params: Mapping[str, Any]) -> list[Permission]:
    if operation == "TransactWriteItems":
        kinds = {
            "Put": "PutItem",
            "Update": "UpdateItem",
            "Delete": "DeleteItem",
            "ConditionCheck": "ConditionCheckItem",
        }
        return [
            Permission(f"dynamodb:{kinds[kind]}", _table(item[kind]["TableName"]))
            for item in params["TransactItems"]
            for kind in item
        ]
    if operation == "TransactGetItems":
        return [
            Permission("dynamodb:GetItem", _table(item["Get"]["TableName"]))
            for item in params["TransactItems"]
        ]
    if operation in ("BatchGetItem", "BatchWriteItem"):
        return [Permission(f"dynamodb:{operation}", _table(table)) for table in params["RequestItems"]]
    if operation in ("Query", "Scan"):
        index = params.get("IndexName")
        table = _table(params["TableName"])
        return [Permission(f"dynamodb:{operation}", f"{table}/index/{index}" if index else table)]
    if operation in ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "DescribeTable"):
        return [Permission(f"dynamodb:{operation}", _table(params["TableName"]))]
    raise UnknownOperation("dynamodb", operation)


def _s3(operation: str, params: Mapping[str, Any]) -> list[Permission]:
    bucket = params.get("Bucket", "")
    if operation in ("GetObject", "HeadObject"):
        return [Permission("s3:GetObject", _object(bucket, params["Key"]))]
    # A multipart upload's start, parts and completion are all s3:PutObject, as AWS authorizes them.
    if operation in ("PutObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"):
        return [Permission("s3:PutObject", _object(bucket, params["Key"]))]
    if operation == "AbortMultipartUpload":
        return [Permission("s3:AbortMultipartUpload", _object(bucket, params["Key"]))]
    if operation == "DeleteObject":
        return [Permission("s3:DeleteObject", _object(bucket, params["Key"]))]
    if operation == "DeleteObjects":
        return [
            Permission("s3:DeleteObject", _object(bucket, item["Key"]))
            for item in params["Delete"]["Objects"]
        ]
    if operation == "CopyObject":
        source = params["CopySource"]
        source_bucket, source_key = (
            (source["Bucket"], source["Key"])
            if isinstance(source, Mapping)
            else source.lstrip("/").split("/", 1)
        )
        return [
            Permission("s3:GetObject", _object(source_bucket, source_key)),
            Permission("s3:PutObject", _object(bucket, params["Key"])),
        ]
    if operation in ("ListObjects", "ListObjectsV2"):
        return [Permission("s3:ListBucket", f"arn:{PARTITION}:s3:::{bucket}")]
    raise UnknownOperation("s3", operation)


def _sqs(operation: str, params: Mapping[str, Any]) -> list[Permission]:
    if operation in (
        "SendMessage",
        "SendMessageBatch",
        "ReceiveMessage",
        "DeleteMessage",
        "GetQueueAttributes",
    ):
        return [Permission(f"sqs:{operation}", _queue(params["QueueUrl"]))]
    raise UnknownOperation("sqs", operation)


def _secretsmanager(operation: str, params: Mapping[str, Any]) -> list[Permission]:
    if operation == "GetSecretValue":
        return [Permission("secretsmanager:GetSecretValue", _secret(params["SecretId"]))]
    raise UnknownOperation("secretsmanager", operation)


def _ssm(operation: str, params: Mapping[str, Any]) -> list[Permission]:
    if operation in ("GetParameter", "GetParameters"):
        names = [params["Name"]] if operation == "GetParameter" else params["Names"]
        return [Permission(f"ssm:{operation}", _parameter(name)) for name in names]
    raise UnknownOperation("ssm", operation)


_SERVICES = {"dynamodb": _dynamodb, "s3": _s3, "sqs": _sqs, "secretsmanager": _secretsmanager, "ssm": _ssm}


class UnknownOperation(Exception):
    """A call whose permissions this module cannot tell: refused until it is taught them."""

    def __init__(self, service: str, operation: str) -> None:
        super().__init__(
            f"devstack.iam does not know what {service}.{operation} needs: add it to permissions_for"
        )


def permissions_for(service: str, operation: str, params: Mapping[str, Any]) -> list[Permission]:
    """Every permission a botocore call of ``operation`` on ``service`` with ``params`` needs."""
    needs = _SERVICES.get(service)
    if needs is None:
        raise UnknownOperation(service, operation)
    return needs(operation, params)


# ---------------------------------------------------------------------------- enforcing


def refusal(
    policy: Policy, role: str, service: str, operation: str, params: Mapping[str, Any]
) -> ClientError | None:
    """The error AWS would answer the call with under ``policy``, or None if it allows the call."""
    try:
        needed = permissions_for(service, operation, params)
    except UnknownOperation as unknown:
        return _access_denied(service, operation, str(unknown))
    for permission in needed:
        if not policy.allows(permission):
            return _access_denied(
                service,
                operation,
                f"User: arn:{PARTITION}:sts::{ACCOUNT_ID}:assumed-role/{role}/local is not authorized to"
                f" perform: {permission.action} on resource: {permission.resource} because no"
                f" identity-based policy allows the {permission.action} action",
            )
    return None


def _access_denied(service: str, operation: str, message: str) -> ClientError:
    code = "AccessDenied" if service in ("s3", "sqs") else "AccessDeniedException"
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


def checker(policy: Policy, role: str) -> Callable[..., None]:
    """A botocore ``before-parameter-build`` handler that raises what AWS would answer a call
    ``policy`` does not allow."""

    def check(params: Mapping[str, Any], model: Any, context: Mapping[str, Any], **_: Any) -> None:
        if context.get("is_presign_request"):
            return  # signing is no call: whoever uses the URL later needs the permission
        error = refusal(policy, role, model.service_model.service_name, model.name, params)
        if error is not None:
            raise error

    return check


def enforce(policy: Policy, role: str) -> None:
    """Check every botocore call made in this process from now on against ``policy`` (a function's
    execution environment calls this before importing its handler)."""
    from botocore import handlers

    # Every session made later (the function's, Powertools') registers the built-in handlers.
    handlers.BUILTIN_HANDLERS.append(("before-parameter-build", checker(policy, role)))
