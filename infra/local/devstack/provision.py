"""Creates the template's resources in the AWS emulation (moto server or in-process ``mock_aws``).

Resources are created in dependency order: one whose properties refer to a resource not
made yet waits for a later pass. Each gets a local name, recorded on the ``Template`` so
``!Ref`` and ``!GetAtt`` resolve to it.
"""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Callable, Mapping
from typing import Any

import boto3

from stacktools.template import ACCOUNT_ID, REGION, PhysicalResource, Template

Creator = Callable[["Provisioner", str, Mapping[str, Any]], PhysicalResource]


class Provisioner:
    def __init__(self, template: Template, session: boto3.session.Session, endpoint_url: str | None = None):
        self.template = template
        self._session = session
        self._endpoint_url = endpoint_url
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self._session.client(
                service,  # type: ignore[call-overload]
                region_name=REGION,
                endpoint_url=self._endpoint_url,
            )
        return self._clients[service]

    def local_name(self, logical_id: str) -> str:
        return f"{self.template.stack_name}-{logical_id}"

    def provision(self) -> dict[str, PhysicalResource]:
        """Create every supported resource; returns (and records) their local names."""
        pending = dict(self.template.resources)
        while pending:
            progressed = False
            for logical_id, body in list(pending.items()):
                creator = _CREATORS.get(str(body.get("Type")))
                if creator is None:
                    # Nothing to emulate, so nothing of it is read: it may name what is not emulated
                    # either (a bucket's policy, the role SAM makes for a function).
                    physical = PhysicalResource(ref=self.local_name(logical_id))
                else:
                    try:
                        properties = self.template.resolve(body.get("Properties", {}))
                    except KeyError:
                        continue  # refers to something not created yet
                    physical = creator(self, logical_id, properties)
                self.template.physical[logical_id] = physical
                del pending[logical_id]
                progressed = True
            if not progressed:
                raise RuntimeError(f"cannot resolve the references of {sorted(pending)}")
        return dict(self.template.physical)


def _table(provisioner: Provisioner, logical_id: str, properties: Mapping[str, Any]) -> PhysicalResource:
    name = properties.get("TableName") or provisioner.local_name(logical_id)
    request: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "KeySchema": properties["KeySchema"],
        "BillingMode": properties.get("BillingMode", "PAY_PER_REQUEST"),
    }
    keep = ("IndexName", "KeySchema", "Projection")
    if properties.get("GlobalSecondaryIndexes"):
        request["GlobalSecondaryIndexes"] = [
            {key: index[key] for key in keep} for index in properties["GlobalSecondaryIndexes"]
        ]
    if properties.get("LocalSecondaryIndexes"):
        request["LocalSecondaryIndexes"] = [
            {key: index[key] for key in keep} for index in properties["LocalSecondaryIndexes"]
        ]
    if properties.get("StreamSpecification"):
        request["StreamSpecification"] = {"StreamEnabled": True, **properties["StreamSpecification"]}
    dynamodb = provisioner.client("dynamodb")
    description = dynamodb.create_table(**request)["TableDescription"]
    ttl = properties.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        dynamodb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
        )
    attributes = {"Arn": description["TableArn"]}
    if description.get("LatestStreamArn"):
        attributes["StreamArn"] = description["LatestStreamArn"]
    return PhysicalResource(ref=name, attributes=attributes)


_CORS_KEYS = {
    "AllowedHeaders": "AllowedHeaders",
    "AllowedMethods": "AllowedMethods",
    "AllowedOrigins": "AllowedOrigins",
    "ExposedHeaders": "ExposeHeaders",
    "Id": "ID",
    "MaxAge": "MaxAgeSeconds",
}


def _bucket(provisioner: Provisioner, logical_id: str, properties: Mapping[str, Any]) -> PhysicalResource:
    name = properties.get("BucketName") or provisioner.local_name(logical_id).lower()[:63]
    s3 = provisioner.client("s3")
    s3.create_bucket(Bucket=name)
    cors = properties.get("CorsConfiguration", {}).get("CorsRules")
    if cors:
        rules = [{_CORS_KEYS[key]: value for key, value in rule.items()} for rule in cors]
        s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": rules})
    encryption = properties.get("BucketEncryption")
    if encryption:
        s3.put_bucket_encryption(
            Bucket=name,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {"ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"]}
                    for rule in encryption["ServerSideEncryptionConfiguration"]
                ]
            },
        )
    notifications = properties.get("NotificationConfiguration", {})
    if notifications.get("EventBridgeConfiguration", {}).get("EventBridgeEnabled"):
        s3.put_bucket_notification_configuration(
            Bucket=name, NotificationConfiguration={"EventBridgeConfiguration": {}}
        )
    return PhysicalResource(
        ref=name,
        attributes={
            "Arn": f"arn:aws:s3:::{name}",
            "DomainName": f"{name}.s3.amazonaws.com",
            "RegionalDomainName": f"{name}.s3.{REGION}.amazonaws.com",
        },
    )


_QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "FifoQueue",
    "SqsManagedSseEnabled",
)


def _queue(provisioner: Provisioner, logical_id: str, properties: Mapping[str, Any]) -> PhysicalResource:
    name = properties.get("QueueName") or provisioner.local_name(logical_id)
    attributes = {
        key: str(properties[key]).lower() if isinstance(properties[key], bool) else str(properties[key])
        for key in _QUEUE_ATTRIBUTES
        if key in properties
    }
    if "RedrivePolicy" in properties:
        attributes["RedrivePolicy"] = json.dumps(properties["RedrivePolicy"])
    sqs = provisioner.client("sqs")
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return PhysicalResource(ref=url, attributes={"Arn": arn, "QueueName": name, "QueueUrl": url})


def _generated_secret(spec: Mapping[str, Any]) -> str:
    alphabet = string.ascii_letters + string.digits
    if not spec.get("ExcludePunctuation"):
        alphabet += "!#$%&()*+,-.:;<=>?@[]^_{|}~"
    alphabet = "".join(char for char in alphabet if char not in spec.get("ExcludeCharacters", ""))
    value = "".join(secrets.choice(alphabet) for _ in range(int(spec.get("PasswordLength", 32))))
    if "SecretStringTemplate" in spec:
        document = json.loads(spec["SecretStringTemplate"])
        document[spec["GenerateStringKey"]] = value
        return json.dumps(document)
    return value


def _secret(provisioner: Provisioner, logical_id: str, properties: Mapping[str, Any]) -> PhysicalResource:
    name = properties.get("Name") or provisioner.local_name(logical_id)
    value = properties.get("SecretString") or _generated_secret(properties.get("GenerateSecretString", {}))
    arn = provisioner.client("secretsmanager").create_secret(Name=name, SecretString=value)["ARN"]
    return PhysicalResource(ref=arn, attributes={"Id": arn})


def _ssm_parameter(
    provisioner: Provisioner, logical_id: str, properties: Mapping[str, Any]
) -> PhysicalResource:
    name = properties.get("Name") or f"/{provisioner.local_name(logical_id)}"
    provisioner.client("ssm").put_parameter(
        Name=name, Value=str(properties["Value"]), Type=properties.get("Type", "String")
    )
    return PhysicalResource(ref=name, attributes={"Type": properties.get("Type", "String")})


def _rule(provisioner: Provisioner, logical_id: str, properties: Mapping[str, Any]) -> PhysicalResource:
    """The rule with its real pattern; its targets become one local queue the stack delivers from."""
    name = properties.get("Name") or provisioner.local_name(logical_id)
    events, sqs = provisioner.client("events"), provisioner.client("sqs")
    arn = events.put_rule(
        Name=name,
        EventPattern=json.dumps(properties["EventPattern"]),
        State=properties.get("State", "ENABLED"),
    )["RuleArn"]
    queue_url = sqs.create_queue(QueueName=f"{name}-deliveries")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_targets(Rule=name, Targets=[{"Id": "local-delivery", "Arn": queue_arn}])
    return PhysicalResource(ref=name, attributes={"Arn": arn, "DeliveryQueueUrl": queue_url})


def _log_group(provisioner: Provisioner, logical_id: str, properties: Mapping[str, Any]) -> PhysicalResource:
    """A name and an ARN only: Lambda writes the log groups, and locally nothing reads them (the HTTP
    API's ``AccessLogSettings`` names its group's ARN)."""
    name = properties.get("LogGroupName") or f"/{provisioner.local_name(logical_id)}"
    return PhysicalResource(
        ref=name, attributes={"Arn": f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{name}:*"}
    )


def _function(provisioner: Provisioner, logical_id: str, _properties: Mapping[str, Any]) -> PhysicalResource:
    name = provisioner.local_name(logical_id)
    return PhysicalResource(
        ref=name, attributes={"Arn": f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}"}
    )


_CREATORS: dict[str, Creator] = {
    "AWS::DynamoDB::Table": _table,
    "AWS::S3::Bucket": _bucket,
    "AWS::SQS::Queue": _queue,
    "AWS::SecretsManager::Secret": _secret,
    "AWS::SSM::Parameter": _ssm_parameter,
    "AWS::Serverless::Function": _function,
    "AWS::Events::Rule": _rule,
    "AWS::Logs::LogGroup": _log_group,
}
