"""What an operator must touch after a deploy is named by the stack's outputs: every secret (the
Gemini key goes in one), queue (a dead-letter queue is redriven), bucket and the API's URL."""

from __future__ import annotations

import re
from typing import Any

from stacktools.template import load_template

TOUCHED = ("AWS::SecretsManager::Secret", "AWS::SQS::Queue", "AWS::S3::Bucket", "AWS::Serverless::HttpApi")


def named_by(value: Any) -> set[str]:
    """The resources an output's value refers to (``Ref``, or ``${Name}`` in a ``Fn::Sub``)."""
    if "Ref" in value:
        return {value["Ref"]}
    return set(re.findall(r"\$\{([A-Za-z0-9]+)\}", value["Fn::Sub"]))


def test_every_resource_an_operator_touches_is_an_output_with_a_description() -> None:
    document = load_template()
    touched = {name for name, resource in document["Resources"].items() if resource["Type"] in TOUCHED}
    outputs = document["Outputs"].values()

    named = set().union(*(named_by(output["Value"]) for output in outputs))
    assert touched - named == set()
    assert all(output.get("Description") for output in outputs)
