"""The template's alarms reach someone, read metrics that exist, are on the dashboard and in the
runbook."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from imagegen.metrics import Metric
from stacktools.template import load_template

RUNBOOK = Path(__file__).parents[2] / "docs" / "runbook.md"
STACK_NAMESPACE = {"Ref": "AWS::StackName"}
# CloudWatch refuses an alarm whose metric math reads more metrics than this.
MOST_METRICS_IN_AN_ALARM = 10

DOCUMENT = load_template()
RESOURCES: dict[str, Any] = DOCUMENT["Resources"]
ALARMS = {
    name: body["Properties"] for name, body in RESOURCES.items() if body["Type"] == "AWS::CloudWatch::Alarm"
}


def metrics_read(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    """Every metric an alarm reads, alone or in metric math, as {Namespace, MetricName, Dimensions}."""
    if "MetricName" in alarm:
        return [{key: alarm[key] for key in ("Namespace", "MetricName", "Dimensions")}]
    return [query["MetricStat"]["Metric"] for query in alarm["Metrics"] if "MetricStat" in query]


def service_names() -> set[str]:
    return {
        body["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]
        for body in RESOURCES.values()
        if body["Type"] == "AWS::Serverless::Function"
    }


def test_there_are_alarms_on_the_queue_the_functions_the_api_and_the_services_own_metrics() -> None:
    namespaces = {str(metric["Namespace"]) for alarm in ALARMS.values() for metric in metrics_read(alarm)}
    assert {"AWS/SQS", "AWS/Lambda", "AWS/ApiGateway", str(STACK_NAMESPACE)} <= namespaces


@pytest.mark.parametrize("name", sorted(ALARMS))
def test_every_alarm_tells_the_alarm_topic_when_it_fires_and_when_it_is_over(name: str) -> None:
    alarm = ALARMS[name]
    assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    assert alarm["OKActions"] == [{"Ref": "AlarmTopic"}]
    assert alarm["TreatMissingData"] == "notBreaching"  # quiet hours are not an outage


@pytest.mark.parametrize("name", sorted(ALARMS))
def test_alarms_on_the_services_own_metrics_read_what_the_code_writes_from_real_functions(name: str) -> None:
    own = [metric for metric in metrics_read(ALARMS[name]) if metric["Namespace"] == STACK_NAMESPACE]
    for metric in own:
        assert metric["MetricName"] in {metric.value for metric in Metric}
        assert [dimension["Name"] for dimension in metric["Dimensions"]] == ["service"]
        assert metric["Dimensions"][0]["Value"] in service_names()


@pytest.mark.parametrize("name", sorted(ALARMS))
def test_no_alarm_reads_more_metrics_than_cloudwatch_allows(name: str) -> None:
    assert len(metrics_read(ALARMS[name])) <= MOST_METRICS_IN_AN_ALARM


def test_an_alarm_email_subscribes_to_the_topic_only_when_given() -> None:
    subscription = RESOURCES["AlarmEmailSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}
    assert DOCUMENT["Parameters"]["AlarmEmail"]["Default"] == ""
    assert DOCUMENT["Outputs"]["AlarmTopicArn"]["Value"] == {"Ref": "AlarmTopic"}


DASHBOARDS = [name for name, body in RESOURCES.items() if body["Type"] == "AWS::CloudWatch::Dashboard"]


def widgets() -> list[dict[str, Any]]:
    """Every widget of every dashboard (the payments have one of their own, when they exist)."""
    return [
        widget
        for name in DASHBOARDS
        # The body is JSON once substituted; its ${...} are strings.
        for widget in json.loads(RESOURCES[name]["Properties"]["DashboardBody"]["Fn::Sub"])["widgets"]
    ]


def test_every_alarm_is_on_a_dashboard() -> None:
    shown = {
        re.sub(r".*:alarm:\$\{(\w+)\}$", r"\1", arn)
        for widget in widgets()
        if widget["type"] == "alarm"
        for arn in widget["properties"]["alarms"]
    }
    assert shown == set(ALARMS)


def test_every_alarm_has_a_section_in_the_runbook() -> None:
    headings = set(re.findall(r"^## (\w+)$", RUNBOOK.read_text(encoding="utf-8"), re.MULTILINE))
    assert set(ALARMS) <= headings


def test_the_dashboards_show_every_metric_the_service_writes() -> None:
    shown = {
        row[1]
        for widget in widgets()
        if widget["type"] == "metric"
        for row in widget["properties"]["metrics"]
        if row[0] == "${AWS::StackName}"
    }
    assert shown == {metric.value for metric in Metric}
