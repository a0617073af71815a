#!/usr/bin/env python3
"""``make deploy ENV=dev|prod``: ``sam deploy`` of one environment of ``samconfig.toml``, with what
only the operator knows added to it.

``samconfig.toml`` holds what is the same for every account (stack name, region, stage, log
level, retention). What differs per account comes from the environment, and is added to the
environment's ``parameter_overrides`` (``sam deploy --parameter-overrides`` replaces the
config file's list rather than adding to it, so the whole list is passed here):

    GOOGLE_CLIENT_ID  the OAuth client id of the web app (required: the template has no default)
    ALLOWED_ORIGINS   comma-separated browser origins of the front end (CORS on the API and bucket)
    ADMIN_EMAILS      comma-separated emails whose users are admins
    ALARM_EMAIL       who the alarms e-mail
    AWS_REGION        a region other than the environment's

Anything missing that the template requires is refused before SAM is started, by name. With
``--dry-run`` the command is printed, not run. After a deploy, a stack that serves the front end
(``WebSite=enabled``) gets ``web/`` in its web bucket, with a ``config.json`` naming its API and
its Google client id, and its CloudFront cache invalidated.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imagegen.models.base import ConfiguredList
from imagegen.models.catalog import ModelCatalog
from imagegen.models.payments import CoinPacks
from imagegen.models.styles import StylePresets
from imagegen.models.users import Languages
from stacktools.site import content_type, site_config, site_files
from stacktools.template import ROOT, load_template

# Environment variable -> template parameter.
FROM_ENVIRONMENT = {
    "GOOGLE_CLIENT_ID": "GoogleClientId",
    "ALLOWED_ORIGINS": "AllowedOrigins",
    "ADMIN_EMAILS": "AdminEmails",
    "ALARM_EMAIL": "AlarmEmail",
}


# Parameters holding a JSON list the functions validate whenever they load it: validated here by the
# same models, so a bad one stops the deploy instead of failing requests once it is live.
CONFIGURED_LISTS: dict[str, type[ConfiguredList]] = {
    "ModelCatalog": ModelCatalog,
    "StylePresets": StylePresets,
    "CoinPacks": CoinPacks,
}


class DeployRefused(Exception):
    """The deploy cannot start as asked; the message says what to give."""


def template_parameters(template: Path = ROOT / "template.yaml") -> dict[str, dict[str, object]]:
    """The template's parameters and their declarations."""
    return dict(load_template(template)["Parameters"])


def parse_overrides(text: str) -> dict[str, str]:
    """``Name=Value Name="a value"`` as SAM reads it."""
    overrides = {}
    for item in shlex.split(text):
        name, equals, value = item.partition("=")
        if not equals:
            raise DeployRefused(f"parameter_overrides: {item!r} is not Name=Value")
        overrides[name] = value
    return overrides


@dataclass(frozen=True)
class Deployment:
    """One environment's deploy: the ``sam deploy`` command, and the stack it makes and where."""

    command: list[str]
    stack_name: str
    region: str


def plan_deploy(
    environment_name: str,
    environ: Mapping[str, str],
    samconfig: Path = ROOT / "samconfig.toml",
    template: Path = ROOT / "template.yaml",
    sam: str = "sam",
) -> Deployment:
    """The deploy of ``environment_name``, or ``DeployRefused`` saying what is missing."""
    config = tomllib.loads(samconfig.read_text(encoding="utf-8"))
    environments = sorted(name for name in config if name != "version" and name != "default")
    if environment_name not in environments:
        raise DeployRefused(f"ENV must be one of {', '.join(environments)}, not {environment_name!r}")
    section = config[environment_name]
    deploy = section.get("deploy", {}).get("parameters", {})
    overrides = parse_overrides(deploy.get("parameter_overrides", ""))
    overrides.update(
        {
            parameter: environ[variable]
            for variable, parameter in FROM_ENVIRONMENT.items()
            if environ.get(variable)
        }
    )

    declared = template_parameters(template)
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        raise DeployRefused(f"the template has no parameter {', '.join(unknown)}")
    missing = sorted(
        name for name, spec in declared.items() if "Default" not in spec and name not in overrides
    )
    if missing:
        variables = {parameter: variable for variable, parameter in FROM_ENVIRONMENT.items()}
        named = ", ".join(
            f"{name} (set {variables[name]})" if name in variables else name for name in missing
        )
        raise DeployRefused(f"the template needs {named}")
    for name, value in overrides.items():
        allowed = declared[name].get("AllowedValues")
        if isinstance(allowed, list) and value not in [str(choice) for choice in allowed]:
            raise DeployRefused(f"{name}={value} is not one of {allowed}")
    for name, configured in CONFIGURED_LISTS.items():
        try:
            configured.parse(str(overrides.get(name, declared[name].get("Default"))))
        except configured.invalid as error:
            raise DeployRefused(f"{name}: {error}") from error
    try:  # what the users' functions and the site's config.json would refuse (a code twice, say)
        Languages.parse(str(overrides.get("Languages", declared["Languages"].get("Default"))))
    except ValueError as error:
        raise DeployRefused(f"Languages: {error}") from error

    stack = section.get("global", {}).get("parameters", {})
    region = environ.get("AWS_REGION") or stack.get("region")
    if not region:
        raise DeployRefused(f"samconfig.toml gives [{environment_name}] no region: set AWS_REGION")
    if not stack.get("stack_name"):
        raise DeployRefused(f"samconfig.toml gives [{environment_name}] no stack_name")
    command = [
        sam,
        "deploy",
        "--config-env",
        environment_name,
        "--region",
        region,
        "--no-fail-on-empty-changeset",
        "--parameter-overrides",
        *(f"{name}={sam_value(value)}" for name, value in overrides.items()),
    ]
    return Deployment(command, stack["stack_name"], region)


def sam_value(value: str) -> str:
    """``value`` as ``--parameter-overrides`` reads it: SAM cuts a bare value at a space or a quote
    (a JSON catalog would arrive as ``[{``) and refuses an empty one, but takes a double-quoted value
    with its inner quotes escaped, which is JSON's way of writing a string."""
    return json.dumps(value) if not value or any(char in value for char in ' "\\') else value


def publish_site(
    outputs: Mapping[str, str], parameters: Mapping[str, str], s3: Any, cloudfront: Any
) -> list[str]:
    """Put ``web/`` and its ``config.json`` into the stack's web bucket, and have CloudFront serve
    them fresh; the keys written."""
    bucket = outputs["WebBucketName"]
    written = []
    for key, path in site_files():
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=path.read_bytes(),
            ContentType=content_type(path),
            CacheControl="no-cache",
        )
        written.append(key)
    client_id = parameters["GoogleClientId"].split(",")[0].strip()
    config = site_config(outputs["ApiUrl"], client_id, False, parameters)
    s3.put_object(
        Bucket=bucket,
        Key="config.json",
        Body=json.dumps(config).encode(),
        ContentType="application/json",
        CacheControl="no-cache",
    )
    cloudfront.create_invalidation(
        DistributionId=outputs["WebDistributionId"],
        InvalidationBatch={
            "Paths": {"Quantity": 1, "Items": ["/*"]},
            "CallerReference": f"deploy-{time.time_ns()}",
        },
    )
    return [*written, "config.json"]


def publish_if_served(stack_name: str, region: str) -> None:
    """After a deploy: the front end, if the stack serves it."""
    import boto3

    session = boto3.session.Session(region_name=region)
    (stack,) = session.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"]
    outputs = {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}
    if "WebBucketName" not in outputs:
        return
    parameters = {
        item["ParameterKey"]: item.get("ParameterValue", "") for item in stack.get("Parameters", [])
    }
    written = publish_site(outputs, parameters, session.client("s3"), session.client("cloudfront"))
    print(f"front end: {len(written)} files at {outputs['WebsiteUrl']}", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("environment", help="an environment of samconfig.toml: dev or prod")
    parser.add_argument("--sam", default="sam", help="the SAM CLI to run (make deploy passes .venv-sam's)")
    parser.add_argument("--dry-run", action="store_true", help="print the command instead of running it")
    options = parser.parse_args(argv)
    try:
        deployment = plan_deploy(options.environment, os.environ, sam=options.sam)
    except DeployRefused as refused:
        print(f"cannot deploy: {refused}", file=sys.stderr)
        return 2
    print(shlex.join(deployment.command), flush=True)
    if options.dry_run:
        return 0
    deployed = subprocess.run(deployment.command, cwd=ROOT, check=False).returncode  # noqa: S603 - our own
    if deployed == 0:
        publish_if_served(deployment.stack_name, deployment.region)
    return deployed


if __name__ == "__main__":
    sys.exit(main())
