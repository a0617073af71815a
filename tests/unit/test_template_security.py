"""Encryption is stated for every queue and the alarm topic (with a key CloudWatch alarms can use),
and checkov, run by ``make lint`` at a pinned version, skips a check only with its reason."""

from __future__ import annotations

import re
from typing import Any

import pytest

from stacktools.template import ROOT, load_template

DOCUMENT = load_template()
RESOURCES: dict[str, Any] = DOCUMENT["Resources"]
SKIPS = [
    (name, skip)
    for name, body in RESOURCES.items()
    for skip in body.get("Metadata", {}).get("checkov", {}).get("skip", [])
]


@pytest.mark.parametrize(
    "name", sorted(name for name, body in RESOURCES.items() if body["Type"] == "AWS::SQS::Queue")
)
def test_every_queue_is_encrypted_at_rest(name: str) -> None:
    assert RESOURCES[name]["Properties"]["SqsManagedSseEnabled"] is True


def test_the_alarm_topic_is_encrypted_with_a_key_cloudwatch_alarms_may_use() -> None:
    # SNS's AWS managed key (alias/aws/sns) has a policy nobody can change: CloudWatch could not use
    # it, and every alarm would fail to publish.
    key_ref = RESOURCES["AlarmTopic"]["Properties"]["KmsMasterKeyId"]
    assert set(key_ref) == {"Ref"}
    key = RESOURCES[key_ref["Ref"]]
    assert key["Type"] == "AWS::KMS::Key"
    assert key["Properties"]["EnableKeyRotation"] is True
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    cloudwatch = [s for s in statements if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    assert len(cloudwatch) == 1
    assert set(cloudwatch[0]["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    assert cloudwatch[0]["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


def test_every_checkov_skip_names_a_check_and_says_why() -> None:
    assert SKIPS
    for name, skip in SKIPS:
        assert set(skip) == {"id", "comment"}, name
        assert re.fullmatch(r"CKV2?_AWS_\d+", skip["id"]), name
        assert isinstance(skip["comment"], str), name
        assert len(skip["comment"].split()) >= 8, f"{name} skips {skip['id']} without a reason"


def test_no_resource_skips_a_check_twice() -> None:
    seen = [(name, skip["id"]) for name, skip in SKIPS]
    assert len(seen) == len(set(seen))


def test_make_lint_runs_checkov_at_a_pinned_version_on_the_template() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^CHECKOV_VERSION := \d+\.\d+\.\d+$", makefile, re.MULTILINE)
    lint = re.search(r"^lint:.*?(?=^\S|\Z)", makefile, re.MULTILINE | re.DOTALL)
    assert lint
    assert "checkov -f template.yaml --framework cloudformation" in lint.group(0)
    assert "--soft-fail" not in lint.group(0)
