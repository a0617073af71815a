"""Operable from the logs: the HTTP API writes an access log with no token in it, and no event an
asynchronously invoked function fails is lost: it waits in a queue that is alarmed on."""

from __future__ import annotations

import json
import re
from typing import Any

from stacktools.template import load_template

DOCUMENT = load_template()
RESOURCES: dict[str, Any] = DOCUMENT["Resources"]
FUNCTIONS = {name: body for name, body in RESOURCES.items() if body["Type"] == "AWS::Serverless::Function"}
# The SAM events through which Lambda is invoked asynchronously.
ASYNCHRONOUS_EVENTS = {"Schedule", "ScheduleV2", "EventBridgeRule", "CloudWatchEvent", "S3", "SNS"}
_VARIABLE = re.compile(r"\$context\.[A-Za-z.]+")


def access_log_format() -> str:
    settings = RESOURCES["HttpApi"]["Properties"]["AccessLogSettings"]
    assert settings["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    return str(settings["Format"])


def invoked_asynchronously() -> set[str]:
    """Functions that are an EventBridge rule's target, or have an event that invokes them asynchronously."""
    targets = {
        target["Arn"]["Fn::GetAtt"][0]
        for body in RESOURCES.values()
        if body["Type"] == "AWS::Events::Rule"
        for target in body["Properties"]["Targets"]
    }
    by_event = {
        name
        for name, body in FUNCTIONS.items()
        if any(
            event["Type"] in ASYNCHRONOUS_EVENTS for event in body["Properties"].get("Events", {}).values()
        )
    }
    return targets | by_event


def test_the_access_log_is_one_json_object_a_request_with_what_ops_ask_of_it() -> None:
    text = access_log_format()
    # Values are quoted, but for the one variable API Gateway quotes itself: a line stays JSON when a
    # value is missing ("-") or a message holds quotes.
    entry = json.loads(re.sub(r'"?(\$context\.[A-Za-z.]+)"?', r'"\1"', text))
    assert "\n" not in text
    assert not re.search(r":\s*\$context\.(?!error\.messageString)", text)
    assert {
        "requestId": "$context.requestId",
        "routeKey": "$context.routeKey",
        "status": "$context.status",
        "responseLatency": "$context.responseLatency",
        "integrationLatency": "$context.integrationLatency",
        "sourceIp": "$context.identity.sourceIp",
        "userAgent": "$context.identity.userAgent",
        "requestTime": "$context.requestTime",
        "error": "$context.error.messageString",
    }.items() <= entry.items()


def test_the_access_log_holds_no_header_query_string_or_authorizer_where_tokens_travel() -> None:
    variables = set(_VARIABLE.findall(access_log_format()))
    assert variables
    assert not {
        variable for variable in variables if re.search(r"header|authoriz|query|token", variable, re.I)
    }


def test_every_log_group_keeps_its_lines_as_long_as_the_stack_says() -> None:
    groups = {name: body for name, body in RESOURCES.items() if body["Type"] == "AWS::Logs::LogGroup"}
    assert "ApiAccessLogGroup" in groups
    for body in groups.values():
        assert body["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_every_function_invoked_asynchronously_keeps_what_fails_its_retries_in_the_failed_events_queue() -> (
    None
):
    asynchronous = invoked_asynchronously()
    assert asynchronous == {
        "MetadataFunction",
        "ThumbnailFunction",
        "SweeperFunction",
        "PaymentsReconcileFunction",
    }
    for name in asynchronous:
        config = FUNCTIONS[name]["Properties"]["EventInvokeConfig"]
        assert config["MaximumRetryAttempts"] == 2
        assert config["DestinationConfig"]["OnFailure"] == {
            "Type": "SQS",
            "Destination": {"Fn::GetAtt": ["FailedEventsQueue", "Arn"]},
        }
    # Functions invoked synchronously (the API's, the SQS worker's) have nothing to keep this way.
    for name in set(FUNCTIONS) - asynchronous:
        assert "EventInvokeConfig" not in FUNCTIONS[name]["Properties"]


def test_the_failed_events_queue_keeps_them_14_days_and_an_alarm_fires_while_it_holds_any() -> None:
    queue = RESOURCES["FailedEventsQueue"]["Properties"]
    assert queue["MessageRetentionPeriod"] == 14 * 24 * 3600
    alarm = RESOURCES["FailedEventsAlarm"]["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["FailedEventsQueue", "QueueName"]}}
    ]
    assert (alarm["Statistic"], alarm["Threshold"], alarm["ComparisonOperator"]) == (
        "Maximum",
        0,
        "GreaterThanThreshold",
    )
    assert alarm["AlarmDescription"].strip().endswith("runbook: FailedEventsAlarm.")
    assert DOCUMENT["Outputs"]["FailedEventsQueueUrl"]["Value"] == {"Ref": "FailedEventsQueue"}
