"""Small helpers over CloudFormation documents: load, find resources, resolve intrinsics."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from localgateway.intrinsics import Resolver as TemplateResolver
from localgateway.intrinsics import load_template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "infra" / "template.yaml"


def load(text: str) -> dict[str, Any]:
    """Parse a YAML/JSON template as the local gateway does (aws-sam-translator's parser):
    `!Ref x` becomes {"Ref": "x"} and so on."""
    return load_template(text)


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


class Resolver(TemplateResolver):
    """The local gateway's resolver (Ref, Sub, If, Join, conditions), with example values
    for what only a deployment knows: parameters from their defaults (or `parameters`),
    resources and attributes as readable placeholders, so a template's environment can be
    fed to Django."""

    def __init__(self, template: Mapping[str, Any], parameters: Mapping[str, Any]) -> None:
        super().__init__(
            template,
            {},
            pseudo={
                "AWS::Region": "eu-west-1",
                "AWS::AccountId": "123456789012",
                "AWS::StackName": "example",
            },
        )
        for name, spec in (template.get("Parameters") or {}).items():
            # Values as the template has them: strings, "" when there is no default.
            self.values[name] = parameters.get(name, spec.get("Default", ""))
        self.attributes: dict[str, str] = {}

    def unknown_ref(self, name: str) -> Any:
        kind = (self.template.get("Resources") or {}).get(name, {}).get("Type", "")
        if kind == "AWS::SecretsManager::Secret":
            return f"arn:aws:secretsmanager:eu-west-1:123456789012:secret:{name}-AbCdEf"
        return f"{name.lower()}-physical-id"

    def attribute_value(self, resource: str, attribute: str) -> Any:
        return self._attribute(f"{resource}.{attribute}")

    def sub_value(self, name: str) -> Any:
        if name in self.values:
            return self.values[name]
        return self._attribute(name) if "." in name else self.unknown_ref(name)

    def _attribute(self, path: str) -> str:
        if path.endswith(".Port"):
            return "5432"
        return self.attributes.get(path, path.replace(".", "-").lower() + ".example.internal")
