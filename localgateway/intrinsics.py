"""Read CloudFormation YAML (with `!Ref`-style tags) and resolve the intrinsics we need."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml

NO_VALUE = object()  # AWS::NoValue: the key disappears


class _TemplateLoader(yaml.SafeLoader):
    """SafeLoader that turns `!Ref x` into {"Ref": "x"}, `!Sub s` into {"Fn::Sub": s}, ..."""


def _construct_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = suffix if suffix in ("Ref", "Condition") else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if name == "Fn::GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_TemplateLoader.add_multi_constructor("!", _construct_tag)


def load_template(text: str) -> dict[str, Any]:
    """Parse a CloudFormation/SAM template written in YAML or JSON."""
    document = yaml.load(text, Loader=_TemplateLoader)  # noqa: S506 (SafeLoader subclass)
    if not isinstance(document, dict):
        raise ValueError("the template is not a mapping")
    return document


class Resolver:
    """Evaluates Ref, Fn::Sub, Fn::If, Fn::Join, Fn::Split, Fn::Select and conditions
    against parameter values; anything it cannot know (a GetAtt) stays unresolved."""

    def __init__(
        self,
        template: Mapping[str, Any],
        parameters: Mapping[str, str],
        pseudo: Mapping[str, str] | None = None,
    ) -> None:
        self.template = template
        self.values: dict[str, Any] = {
            "AWS::Region": "local",
            "AWS::AccountId": "000000000000",
            "AWS::StackName": "local",
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            **(pseudo or {}),
        }
        for name, spec in (template.get("Parameters") or {}).items():
            value = parameters.get(name, spec.get("Default"))
            if spec.get("Type") == "CommaDelimitedList" and isinstance(value, str):
                value = [item.strip() for item in value.split(",") if item.strip()]
            self.values[name] = value
        self.conditions = template.get("Conditions") or {}

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [item for item in (self.resolve(v) for v in value) if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            handler = getattr(self, "_" + key.replace("::", "_").lower(), None)
            if handler is not None:
                return handler(arg)
        resolved = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}

    def condition(self, name: str) -> bool:
        return bool(self._evaluate(self.conditions[name]))

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        return self.values[name] if name in self.values else self.unknown_ref(name)

    def unknown_ref(self, name: str) -> Any:
        """A Ref to a resource: only a deployment knows it, so it stays a Ref."""
        return {"Ref": name}

    def _fn_getatt(self, arg: Any) -> Any:
        return {"Fn::GetAtt": arg}

    def sub_value(self, name: str) -> Any:
        """What `${name}` in a Fn::Sub becomes; None leaves it as written."""
        return self.values.get(name)

    def _fn_sub(self, arg: Any) -> Any:
        text, extra = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            value = extra[name] if name in extra else self.sub_value(name)
            return str(value) if isinstance(value, (str, int, float)) else match.group(0)

        return re.sub(r"\$\{([^}!]+)\}", substitute, text)

    def _fn_if(self, arg: list[Any]) -> Any:
        name, when_true, when_false = arg
        return self.resolve(when_true if self.condition(name) else when_false)

    def _fn_join(self, arg: list[Any]) -> Any:
        separator, items = arg[0], self.resolve(arg[1])
        return separator.join(str(item) for item in items)

    def _fn_split(self, arg: list[Any]) -> Any:
        return str(self.resolve(arg[1])).split(arg[0])

    def _fn_select(self, arg: list[Any]) -> Any:
        return self.resolve(arg[1])[int(self.resolve(arg[0]))]

    def _evaluate(self, expression: Any) -> Any:
        if isinstance(expression, dict) and len(expression) == 1:
            ((key, arg),) = expression.items()
            if key == "Fn::Equals":
                left, right = (self.resolve(part) for part in arg)
                return left == right
            if key == "Fn::Not":
                return not self._evaluate(arg[0])
            if key == "Fn::And":
                return all(self._evaluate(part) for part in arg)
            if key == "Fn::Or":
                return any(self._evaluate(part) for part in arg)
            if key == "Condition":
                return self.condition(arg)
        return self.resolve(expression)
