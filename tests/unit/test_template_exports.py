"""Exports in the template: the bucket deletes a zip a week after it was written, the worker may run
Lambda's 15 minutes and its queue hides a message for longer, and each function writes only exports'
states and objects."""

from __future__ import annotations

from typing import Any

from stacktools.template import load_template

RESOURCES: dict[str, Any] = load_template()["Resources"]


def statements(function: str) -> list[dict[str, Any]]:
    found = []
    for policy in RESOURCES[function]["Properties"]["Policies"]:
        if isinstance(policy, dict) and "Statement" in policy:
            for statement in policy["Statement"]:
                found.extend(statement["Fn::If"][1:2] if "Fn::If" in statement else [statement])
    return found


def test_the_bucket_deletes_exports_a_week_after_they_are_written() -> None:
    rules = RESOURCES["ImagesBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]

    (rule,) = [rule for rule in rules if rule.get("Prefix") == "exports/"]

    assert rule == {"Id": "ExpireExports", "Status": "Enabled", "Prefix": "exports/", "ExpirationInDays": 7}


def test_the_worker_runs_up_to_15_minutes_and_its_message_stays_hidden_longer() -> None:
    worker = RESOURCES["ExportWorkerFunction"]["Properties"]
    queue = RESOURCES["ExportQueue"]["Properties"]

    assert worker["Timeout"] == 900
    assert queue["VisibilityTimeout"] > worker["Timeout"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["ExportDeadLetterQueue", "Arn"]}
    assert worker["Events"]["ExportQueue"]["Properties"]["BatchSize"] == 1


def test_each_function_writes_only_exports_states_in_the_users_table_and_exports_in_the_bucket() -> None:
    for function in ("ExportsFunction", "ExportWorkerFunction"):
        writes = [
            statement
            for statement in statements(function)
            if any(action.startswith("dynamodb:") for action in _actions(statement))
            and statement["Resource"] == {"Fn::GetAtt": ["UsersTable", "Arn"]}
        ]
        assert writes, function
        for statement in writes:
            assert statement["Condition"] == {
                "ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["EXPORT#*"]}
            }
        s3 = [statement for statement in statements(function) if _actions(statement)[0].startswith("s3:")]
        writing = [statement for statement in s3 if "s3:PutObject" in _actions(statement)]
        for statement in writing:
            assert statement["Resource"] == {"Fn::Sub": "${ImagesBucket.Arn}/exports/*"}
    assert not any("s3:PutObject" in _actions(statement) for statement in statements("ExportsFunction")), (
        "the API function only signs downloads"
    )


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)
