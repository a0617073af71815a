"""Cold starts: each function's import and the creation of its AWS clients in a fresh interpreter,
against a fresh interpreter that imports boto3 and creates the same clients from one session.

Both run as Lambda lays them out: the layer and the function built by their Makefiles (for this
machine's architecture, with their bytecode), boto3 apart as the runtime provides it, and no
site-packages (``python -S``): nothing of the development environment, such as the editable
install's import hook, weighs on either side.

The clients a function uses are those its policies in the template allow it to call; its own side
creates them as it does on its first invocation (``imagegen.aws``, with Powertools' providers where
it reads secrets or parameters). The two sides alternate, run after run, so that whatever else the
machine does weighs on both; the goal is on the ratio of their medians.
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
from stacktools.build import build, build_layer
from stacktools.template import Template

RATIO_GOAL = 1.15
RUNS = 7

# Which client a policy of the template is for: SAM's policy templates by prefix, statements by action.
_POLICY_CLIENTS = {
    "DynamoDB": "dynamodb",
    "S3": "s3",
    "SQS": "sqs",
    "AWSSecretsManager": "secretsmanager",
    "SSMParameter": "ssm",
}
_PROVIDERS = {"secretsmanager": "aws.secrets()", "ssm": "aws.ssm()"}

FUNCTION_PROBE = """\
import time
started = time.perf_counter()
import app
from imagegen import aws
for service in {services!r}:
    aws.client(service)
{providers}
print(time.perf_counter() - started)
"""
BASELINE_PROBE = """\
import time
started = time.perf_counter()
import boto3
session = boto3.session.Session()
for service in {services!r}:
    session.client(service)
{floor}
print(time.perf_counter() - started)
"""
# What Powertools alone adds to an API function: its logger and its validating resolver, no routes.
POWERTOOLS_FLOOR = """\
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
Logger(service="floor")
APIGatewayHttpResolver(enable_validation=True)
"""
FLOOR_OF = "ListImagesFunction"


def clients_of(resource: Mapping[str, Any]) -> list[str]:
    """The AWS services a function's policies let it call, as boto3 names them."""
    services: set[str] = set()
    for policy in resource["Properties"].get("Policies", []):
        for name, body in policy.items():
            if name == "Statement":
                for statement in body:
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
    """Prints each function's cold start beside bare boto3's, and holds their ratio to its goal."""
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
        services = clients_of(template.resources[logical_id])
        providers = "\n".join(_PROVIDERS[service] for service in services if service in _PROVIDERS)
        environment = {**environment_of[logical_id], "PYTHONPATH": path}
        ours, bare, floor = [], [], []
        for _ in range(RUNS):
            probe = FUNCTION_PROBE.format(services=services, providers=providers)
            ours.append(_seconds(probe, str(code_dir), environment) * 1000)
            baseline = BASELINE_PROBE.format(services=services, floor="")
            bare.append(_seconds(baseline, str(code_dir), environment) * 1000)
            if logical_id == FLOOR_OF:
                with_powertools = BASELINE_PROBE.format(services=services, floor=POWERTOOLS_FLOOR)
                floor.append(_seconds(with_powertools, str(code_dir), environment) * 1000)
        ratio = statistics.median(ours) / statistics.median(bare)
        if floor:
            floor_ratio = statistics.median(floor) / statistics.median(bare)
            rows.append(
                [
                    "(Powertools alone)",
                    ",".join(services),
                    f"{statistics.median(floor):.0f}",
                    f"{statistics.median(bare):.0f}",
                    f"{floor_ratio:.2f}",
                    "",
                    "",
                ]
            )
        rows.append(
            [
                logical_id,
                ",".join(services),
                f"{statistics.median(ours):.0f}",
                f"{statistics.median(bare):.0f}",
                f"{ratio:.2f}",
                f"<= {RATIO_GOAL}",
                report.goal(
                    f"cold start {logical_id} / boto3",
                    f"{ratio:.2f}",
                    f"<= {RATIO_GOAL}",
                    ratio <= RATIO_GOAL,
                ),
            ]
        )
    report.table(
        f"Cold start: import + its clients, fresh interpreter, median of {RUNS} alternating runs (ms);"
        " (Powertools alone): boto3, the clients, Powertools' logger and validating resolver with no route",
        ["function", "clients", "ours", "boto3 + clients", "ratio", "goal", "met"],
        rows,
    )
