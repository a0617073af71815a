"""The service's metrics are written at once as CloudWatch embedded metric format lines."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from imagegen.metrics import Metric, count

NAMESPACE = "imagegen-test"


def emf_lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if '"_aws"' in line]


def test_a_count_is_written_at_once_in_the_stacks_namespace_with_its_service(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", NAMESPACE)
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "metadata")

    count(Metric.COINS_REFUNDED, 150, imageType="GENERATED")

    (line,) = emf_lines(capsys.readouterr().out)
    (directive,) = line["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == NAMESPACE
    assert directive["Dimensions"] == [["service"]]
    assert directive["Metrics"] == [{"Name": "CoinsRefunded", "Unit": "Count"}]
    assert (line["service"], line["CoinsRefunded"], line["imageType"]) == ("metadata", [150.0], "GENERATED")


def test_a_count_that_cannot_be_written_is_logged_not_raised(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("POWERTOOLS_METRICS_NAMESPACE", raising=False)  # a function the template forgot
    with caplog.at_level(logging.ERROR):
        count(Metric.GENERATIONS_FAILED)
    assert emf_lines(capsys.readouterr().out) == []
    assert "could not count GenerationsFailed" in caplog.text
