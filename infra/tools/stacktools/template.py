"""template.yaml as data: parameters, resources, functions and their routes, intrinsics resolved.

The local stack and the tests read everything from the template (tables, queues, the
environment of each function, its HTTP routes) so it stays the single source of truth.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE_PATH = ROOT / "template.yaml"
REGION = "us-east-1"
ACCOUNT_ID = "123456789012"


class _CfnLoader(yaml.CSafeLoader):  # the C loader: parsing the template is 5x faster
    """Reads CloudFormation's short forms (``!Ref x``, ``!GetAtt a.b``...) as their long forms."""


def _short_form(loader: yaml.Loader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _short_form)


@cache
def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """The parsed template (cached: nothing mutates it)."""
    with path.open() as handle:
        document: dict[str, Any] = yaml.load(handle, Loader=_CfnLoader)  # noqa: S506 - a safe loader
    return document


@dataclass(frozen=True)
class PhysicalResource:
    """What a resource is called locally: ``ref`` is its ``!Ref`` value, ``attributes`` its ``!GetAtt``s."""

    ref: str
    attributes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class HttpRoute:
    """One ``HttpApi`` event: ``method`` is upper-case or ``ANY``; ``path`` None is ``$default``."""

    function: str
    method: str
    path: str | None

    @property
    def route_key(self) -> str:
        return "$default" if self.path is None else f"{self.method} {self.path}"


@dataclass(frozen=True)
class FunctionSpec:
    """A Lambda function as the template declares it, with its environment resolved."""

    logical_id: str
    name: str
    code_dir: Path
    handler: str
    runtime: str
    timeout: int
    memory: int
    layer_dirs: tuple[Path, ...]
    environment: Mapping[str, str]
    events: Mapping[str, Mapping[str, Any]]
    # Asynchronous invocations (``EventInvokeConfig``): the retries of a failed event, and the ARN of
    # the queue its invocation record then goes to (``OnFailure``); None: the event is dropped.
    async_retries: int = 2
    on_failure: str | None = None


class Template:
    """A loaded template with parameter values, able to resolve intrinsics to local resources."""

    def __init__(
        self,
        document: Mapping[str, Any],
        parameters: Mapping[str, str] | None = None,
        stack_name: str = "imagegen-local",
        root: Path = ROOT,
    ) -> None:
        self.document = document
        self.stack_name = stack_name
        self.root = root
        self.parameters = self._parameter_values(parameters or {})
        self.physical: dict[str, PhysicalResource] = {}

    @classmethod
    def load(cls, parameters: Mapping[str, str] | None = None, path: Path = TEMPLATE_PATH) -> Template:
        return cls(load_template(path), parameters, root=path.parent)

    @property
    def resources(self) -> Mapping[str, Mapping[str, Any]]:
        """The resources this stack has: those whose ``Condition`` is false are not created."""
        resources: Mapping[str, Mapping[str, Any]] = self.document.get("Resources", {})
        return {
            name: body
            for name, body in resources.items()
            if "Condition" not in body or self.condition(str(body["Condition"]))
        }

    def resources_of_type(self, resource_type: str) -> dict[str, Mapping[str, Any]]:
        return {name: body for name, body in self.resources.items() if body.get("Type") == resource_type}

    def _parameter_values(self, overrides: Mapping[str, str]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, spec in self.document.get("Parameters", {}).items():
            if name in overrides:
                raw: Any = overrides[name]
            elif "Default" in spec:
                raw = spec["Default"]
            else:
                raise ValueError(f"template parameter {name} has no default and no value was given")
            if spec.get("Type") == "CommaDelimitedList":
                raw = [item.strip() for item in str(raw).split(",")] if isinstance(raw, str) else list(raw)
            values[name] = raw
        unknown = set(overrides) - set(values)
        if unknown:
            raise ValueError(f"unknown template parameters: {sorted(unknown)}")
        return values

    # ------------------------------------------------------------------ intrinsics
    def condition(self, name: str) -> bool:
        return bool(self._evaluate(self.document.get("Conditions", {})[name]))

    def resolve(self, node: Any) -> Any:
        """``node`` with every intrinsic function replaced by its local value."""
        return self._evaluate(node)

    def _evaluate(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self._evaluate(item) for item in node if not _is_no_value(item)]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, value),) = node.items()
            intrinsic = _INTRINSICS.get(key)
            if intrinsic is not None:
                return intrinsic(self, value)
        return {key: self._evaluate(value) for key, value in node.items() if not _is_no_value(value)}

    def _ref(self, name: str) -> Any:
        pseudo = {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::StackName": self.stack_name,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.physical:
            return self.physical[name].ref
        raise KeyError(f"cannot resolve Ref {name}: not a parameter or a provisioned resource")

    def _get_att(self, value: Any) -> str:
        resource, attribute = value if isinstance(value, list) else str(value).split(".", 1)
        physical = self.physical.get(resource)
        if physical is None or attribute not in physical.attributes:
            raise KeyError(f"cannot resolve GetAtt {resource}.{attribute}")
        return physical.attributes[attribute]

    def _sub(self, value: Any) -> str:
        text, variables = (value, {}) if isinstance(value, str) else (value[0], self._evaluate(value[1]))

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(variables[name])
            if "." in name:
                return self._get_att(name)
            resolved = self._ref(name)
            return ",".join(resolved) if isinstance(resolved, list) else str(resolved)

        return re.sub(r"\$\{([^!}][^}]*)\}", replace, text)

    def _if(self, value: list[Any]) -> Any:
        name, when_true, when_false = value
        return self._evaluate(when_true if self.condition(name) else when_false)

    # ------------------------------------------------------------------ functions
    def functions(self) -> dict[str, FunctionSpec]:
        """Every ``AWS::Serverless::Function``, Globals merged, intrinsics resolved."""
        defaults = self.document.get("Globals", {}).get("Function", {})
        specs = {}
        for logical_id, body in self.resources_of_type("AWS::Serverless::Function").items():
            properties = body.get("Properties", {})
            merged = {**defaults, **properties}
            environment = {
                **defaults.get("Environment", {}).get("Variables", {}),
                **properties.get("Environment", {}).get("Variables", {}),
            }
            invoke_config = self._evaluate(merged.get("EventInvokeConfig", {}))
            specs[logical_id] = FunctionSpec(
                logical_id=logical_id,
                name=f"{self.stack_name}-{logical_id}",
                code_dir=self.root / str(merged["CodeUri"]),
                handler=str(merged["Handler"]),
                runtime=str(merged.get("Runtime", "")),
                timeout=int(merged.get("Timeout", 3)),
                memory=int(merged.get("MemorySize", 128)),
                layer_dirs=tuple(self._layer_dir(layer) for layer in merged.get("Layers", [])),
                environment={key: _env_value(self._evaluate(value)) for key, value in environment.items()},
                events=properties.get("Events", {}),
                async_retries=int(invoke_config.get("MaximumRetryAttempts", 2)),
                on_failure=_queue_destination(logical_id, invoke_config, "OnFailure"),
            )
        return specs

    def _layer_dir(self, layer: Any) -> Path:
        if isinstance(layer, dict) and "Ref" in layer:
            body = self.resources[layer["Ref"]]
            return self.root / str(body["Properties"]["ContentUri"])
        raise ValueError(f"only layers of this template are supported locally, not {layer!r}")

    def http_routes(self) -> list[HttpRoute]:
        """The ``HttpApi`` events of every function, as API Gateway routes."""
        routes = []
        for logical_id, body in self.resources_of_type("AWS::Serverless::Function").items():
            for event in body.get("Properties", {}).get("Events", {}).values():
                if event.get("Type") != "HttpApi":
                    continue
                properties = event.get("Properties", {})
                path = properties.get("Path")
                method = str(properties.get("Method", "ANY")).upper()
                routes.append(HttpRoute(function=logical_id, method=method, path=path))
        return routes


def _queue_destination(function: str, invoke_config: Mapping[str, Any], condition: str) -> str | None:
    """The ARN of the queue an ``EventInvokeConfig`` destination names; the local stack sends to queues
    only, so another kind of destination is refused rather than ignored."""
    destination = invoke_config.get("DestinationConfig", {}).get(condition)
    if destination is None:
        return None
    if destination.get("Type") != "SQS" or "Destination" not in destination:
        raise ValueError(
            f"{function}: the local stack sends {condition} records to an SQS queue it names only"
        )
    return str(destination["Destination"])


def _is_no_value(node: Any) -> bool:
    return isinstance(node, dict) and node == {"Ref": "AWS::NoValue"}


def _env_value(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _join(template: Template, value: list[Any]) -> str:
    separator, items = value
    return str(separator).join(str(item) for item in template.resolve(items))


def _select(template: Template, value: list[Any]) -> Any:
    index, items = template.resolve(value)
    return items[int(index)]


def _split(template: Template, value: list[Any]) -> list[str]:
    separator, text = template.resolve(value)
    return str(text).split(separator)


def _equals(template: Template, value: list[Any]) -> bool:
    left, right = template.resolve(value)
    return bool(left == right)


_INTRINSICS: dict[str, Callable[[Template, Any], Any]] = {
    "Ref": lambda template, value: template._ref(value),
    "Fn::GetAtt": lambda template, value: template._get_att(value),
    "Fn::Sub": lambda template, value: template._sub(value),
    "Fn::If": lambda template, value: template._if(value),
    "Fn::Join": _join,
    "Fn::Select": _select,
    "Fn::Split": _split,
    "Fn::Equals": _equals,
    "Fn::Not": lambda template, value: not template.resolve(value)[0],
    "Fn::And": lambda template, value: all(template.resolve(value)),
    "Fn::Or": lambda template, value: any(template.resolve(value)),
    "Condition": lambda template, value: template.condition(value),
}
