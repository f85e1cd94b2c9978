"""Small helpers over CloudFormation documents: load, find resources, resolve intrinsics."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from samtranslator.yaml_helper import yaml_parse

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "infra" / "template.yaml"
NO_VALUE = object()


def load(text: str) -> dict[str, Any]:
    """Parse a YAML/JSON template, turning `!Ref x` tags into {"Ref": "x"} and so on."""
    document: dict[str, Any] = yaml_parse(text)
    return document


def resources(template: Mapping[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    """Logical id -> resource for every resource of `type_`."""
    return {
        name: resource
        for name, resource in (template.get("Resources") or {}).items()
        if resource.get("Type") == type_
    }


def properties(resource: Mapping[str, Any]) -> dict[str, Any]:
    return dict(resource.get("Properties") or {})


def ref_name(value: Any) -> str | None:
    """The logical id in {"Ref": id} or {"Fn::GetAtt": [id, attr]}, else None."""
    if isinstance(value, dict) and len(value) == 1:
        if "Ref" in value and isinstance(value["Ref"], str):
            return value["Ref"]
        att = value.get("Fn::GetAtt")
        if isinstance(att, list) and att:
            return str(att[0])
        if isinstance(att, str):
            return att.split(".", 1)[0]
    return None


def walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every (path, value) pair below `value`, depth first."""
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk(item, f"{path}[{index}]")


class Resolver:
    """Evaluates Ref, Fn::Sub, Fn::GetAtt, Fn::If, Fn::Join and conditions with example
    values: parameters from their defaults (or `parameters`), resources and attributes as
    readable placeholders, so a template's environment can be fed to Django."""

    def __init__(self, template: Mapping[str, Any], parameters: Mapping[str, Any]) -> None:
        self.template = template
        self.values: dict[str, Any] = {
            "AWS::Region": "eu-west-1",
            "AWS::AccountId": "123456789012",
            "AWS::StackName": "example",
            "AWS::Partition": "aws",
        }
        for name, spec in (template.get("Parameters") or {}).items():
            self.values[name] = parameters.get(name, spec.get("Default", ""))
        self.attributes: dict[str, str] = {}

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            items = (self.resolve(item) for item in value)
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self._ref(arg)
            if key == "Fn::GetAtt":
                name, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                return self._attribute(f"{name}.{attribute}")
            if key == "Fn::Sub":
                return self._sub(arg)
            if key == "Fn::If":
                name, when_true, when_false = arg
                return self.resolve(when_true if self.condition(name) else when_false)
            if key == "Fn::Join":
                return arg[0].join(str(item) for item in self.resolve(arg[1]))
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}

    def condition(self, name: str) -> bool:
        return bool(self._evaluate(self.template["Conditions"][name]))

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.values:
            return self.values[name]
        kind = (self.template.get("Resources") or {}).get(name, {}).get("Type", "")
        if kind == "AWS::SecretsManager::Secret":
            return f"arn:aws:secretsmanager:eu-west-1:123456789012:secret:{name}-AbCdEf"
        return f"{name.lower()}-physical-id"

    def _attribute(self, path: str) -> str:
        if path.endswith(".Port"):
            return "5432"
        return self.attributes.get(path, path.replace(".", "-").lower() + ".example.internal")

    def _sub(self, arg: Any) -> str:
        text, extra = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in extra:
                return str(extra[name])
            if "." in name and name not in self.values:
                return self._attribute(name)
            return str(self._ref(name))

        return re.sub(r"\$\{([^}!]+)\}", substitute, text)

    def _evaluate(self, expression: Any) -> Any:
        if isinstance(expression, dict) and len(expression) == 1:
            ((key, arg),) = expression.items()
            if key == "Fn::Equals":
                return self.resolve(arg[0]) == self.resolve(arg[1])
            if key == "Fn::Not":
                return not self._evaluate(arg[0])
            if key == "Fn::And":
                return all(self._evaluate(part) for part in arg)
            if key == "Fn::Or":
                return any(self._evaluate(part) for part in arg)
            if key == "Condition":
                return self.condition(arg)
        return self.resolve(expression)
