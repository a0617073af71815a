"""Cold starts: each function's import and the creation of its AWS clients in a fresh interpreter,
against a fresh interpreter that loads only what the service must load anyway: the floor.

The floor is boto3 with the same clients, configured as the service must configure them (timeouts,
standard retries, SigV4 for S3: ``imagegen.aws``), and Powertools' secret and parameter providers
where the function reads them, pydantic's models and fields (``BaseModel``, ``Field``: a bare ``import
pydantic`` loads a lazy namespace and nothing of them, while every function validates its records
and settings with them), Powertools' Logger, and the Powertools utility of the function's kind:
the validating resolver for an API function, the batch processor for the queue's worker, the event
data classes for EventBridge's. What a function costs beyond it is ours.

Both run as Lambda lays them out: the layer and the function built by their Makefiles (for this
machine's architecture, with their bytecode), boto3 apart as the runtime provides it, and no
site-packages (``python -S``): nothing of the development environment, such as the editable
install's import hook, weighs on either side.

The clients a function uses are those its policies in the template allow it to call; its own side
creates them through its composition, as its first invocation does. The two sides alternate, a
function's run right after its floor's, so each pair sees the machine in one state; the goal is on
the median of the pairs' ratios. (The fastest run of each side, compared, was not steady: on two
shared cores the fastest of eleven floors moved by 12 % between two functions with the same floor,
one lucky run deciding a ratio; the pairs' median stays put while the machine's speed drifts.)
"""

from __future__ import annotations

import compileall
import os
import platform
import py_compile
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bench.report import Report
from imagegen.aws import CLIENT_OPTIONS, SERVICE_OPTIONS
from stacktools.build import build, build_layer
from stacktools.template import Template

RATIO_GOAL = 1.10
RUNS = 21

# Which client a policy of the template is for: SAM's policy templates by prefix, statements by action.
_POLICY_CLIENTS = {
    "DynamoDB": "dynamodb",
    "S3": "s3",
    "SQS": "sqs",
    "AWSSecretsManager": "secretsmanager",
    "SSMParameter": "ssm",
}
_PROVIDERS = {
    "secretsmanager": ("SecretsProvider", "secrets"),
    "ssm": ("SSMProvider", "ssm"),
}

FUNCTION_PROBE = """\
import time
started = time.perf_counter()
import app
aws = app.composition.aws
for service in {services!r}:
    aws.client(service)
{providers}
print(time.perf_counter() - started)
"""
FLOOR_PROBE = """\
import time
started = time.perf_counter()
import boto3
from pydantic import BaseModel, Field
from aws_lambda_powertools import Logger
Logger(service="floor")
{utility}
from botocore.config import Config
session = boto3.session.Session()
clients = {{
    service: session.client(service, config=Config(**{options!r}, **{service_options!r}.get(service, {{}})))
    for service in {services!r}
}}
{providers}
print(time.perf_counter() - started)
"""
# The Powertools utility each kind of function must load, by the kind of its template events.
UTILITY_OF_KIND = {
    "HttpApi": "from aws_lambda_powertools.event_handler import APIGatewayHttpResolver\n"
    "APIGatewayHttpResolver(enable_validation=True)",
    "SQS": "from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType\n"
    "BatchProcessor(event_type=EventType.SQS)",
    # Scheduled, or invoked by a rule of its own on S3's events.
    "EventBridge": "from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, "
    "S3EventBridgeNotificationEvent",
}


def kind_of(resource: Mapping[str, Any]) -> str:
    """``HttpApi``, ``SQS`` or ``EventBridge``: how the function is invoked."""
    kinds = {event["Type"] for event in resource["Properties"].get("Events", {}).values()}
    for kind in ("HttpApi", "SQS"):
        if kind in kinds:
            return kind
    return "EventBridge"


def clients_of(resource: Mapping[str, Any]) -> list[str]:
    """The AWS services a function's policies let it call, as boto3 names them."""
    services: set[str] = set()
    for policy in resource["Properties"].get("Policies", []):
        for name, body in policy.items():
            if name == "Statement":
                for statement in body:
                    # A statement under a condition (Fn::If): what it grants when the condition holds.
                    statement = statement["Fn::If"][1] if "Fn::If" in statement else statement
                    actions = statement["Action"]
                    for action in [actions] if isinstance(actions, str) else actions:
                        services.add(action.split(":", 1)[0])
            else:
                services.update(
                    client for prefix, client in _POLICY_CLIENTS.items() if name.startswith(prefix)
                )
    return sorted(services)


def lambda_layout(directory: Path, template: Template) -> tuple[str, dict[str, Path]]:
    """Where Lambda would find the code: the path (the layer, then the runtime's boto3) and each
    function's built directory."""
    import boto3

    layer = build_layer(directory / "layer", platform.machine()) / "python"
    runtime = directory / "runtime"  # boto3, as the runtime provides it: the version the tests use
    subprocess.run(  # noqa: S603 - this interpreter's pip
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "--target", str(runtime), f"boto3=={boto3.__version__}"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    compileall.compile_dir(runtime, quiet=1, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    functions = {
        logical_id: build(f"build-{logical_id}", spec.code_dir, directory / "functions" / logical_id)
        for logical_id, spec in template.functions().items()
    }
    return f"{layer}{os.pathsep}{runtime}", functions


def _seconds(probe: str, cwd: str, environment: Mapping[str, str]) -> float:
    completed = subprocess.run(  # noqa: S603 - our own interpreter and probe
        [sys.executable, "-S", "-c", probe],
        cwd=cwd,
        env=dict(environment),
        capture_output=True,
        text=True,
        check=True,
    )
    return float(completed.stdout)


def cold_starts(report: Report, template: Template, environment_of: Mapping[str, Mapping[str, str]]) -> None:
    """Prints each function's cold start beside its floor's, and holds their ratio to its goal."""
    with tempfile.TemporaryDirectory() as directory:
        path, built = lambda_layout(Path(directory), template)
        _cold_starts(report, template, environment_of, path, built)


def _cold_starts(
    report: Report,
    template: Template,
    environment_of: Mapping[str, Mapping[str, str]],
    path: str,
    built: Mapping[str, Path],
) -> None:
    rows = []
    for logical_id in template.functions():
        code_dir = built[logical_id]
        resource = template.resources[logical_id]
        services = clients_of(resource)
        readers = [_PROVIDERS[service] for service in services if service in _PROVIDERS]
        ours_probe = FUNCTION_PROBE.format(
            services=services, providers="\n".join(f"aws.{attribute}" for _, attribute in readers)
        )
        floor_probe = FLOOR_PROBE.format(
            services=services,
            options=CLIENT_OPTIONS,
            service_options=SERVICE_OPTIONS,
            utility=UTILITY_OF_KIND[kind_of(resource)],
            providers="\n".join(
                f"from aws_lambda_powertools.utilities.parameters import {provider}\n"
                f"{provider}(boto3_client=clients[{service!r}])"
                for service, (provider, _) in _PROVIDERS.items()
                if service in services
            ),
        )
        if not services:  # calls no AWS service (the health check): it has no composition, nor clients
            ours_probe = ours_probe.replace("aws = app.composition.aws\n", "")
        environment = {**environment_of[logical_id], "PYTHONPATH": path}
        ours, floor = [], []
        for _ in range(RUNS):
            ours.append(_seconds(ours_probe, str(code_dir), environment) * 1000)
            floor.append(_seconds(floor_probe, str(code_dir), environment) * 1000)
        ratio = statistics.median(mine / its for mine, its in zip(ours, floor, strict=True))
        rows.append(
            [
                logical_id,
                kind_of(resource),
                ",".join(services),
                f"{statistics.median(ours):.0f}",
                f"{statistics.median(floor):.0f}",
                f"{ratio:.2f}",
                f"<= {RATIO_GOAL:.2f}",
                report.goal(
                    f"cold start {logical_id} / its floor",
                    f"{ratio:.2f}",
                    f"<= {RATIO_GOAL:.2f}",
                    ratio <= RATIO_GOAL,
                ),
            ]
        )
    report.table(
        f"Cold start: import + its clients, fresh interpreter, median of {RUNS} alternating runs (ms), and"
        " the median of the runs' ratios to their floor's: boto3 and the same clients, pydantic,"
        " Powertools' Logger and the utility of its kind",
        ["function", "kind", "clients", "ours", "floor", "ratio", "goal", "met"],
        rows,
    )
