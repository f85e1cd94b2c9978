"""Parse a CloudFormation template with the SAM translator's parser; resolve the intrinsics."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from samtranslator.yaml_helper import yaml_parse

NO_VALUE = object()  # AWS::NoValue: the key disappears


def load_template(text: str) -> dict[str, Any]:
    """Parse a CloudFormation/SAM template written in YAML or JSON.

    aws-sam-translator's parser (the AWS CLI's) turns short-form tags into the long form:
    `!Ref x` into {"Ref": "x"}, `!GetAtt a.b` into {"Fn::GetAtt": ["a", "b"]}. It registers
    its tag constructor on PyYAML's SafeLoader, so nothing beyond safe YAML is ever built.
    A text it cannot parse is a ValueError saying where.
    """
    try:
        document = yaml_parse(text)
    except Exception as exc:  # the parser's errors: PyYAML's, or RecursionError
        raise ValueError(_describe(exc)) from exc
    if not isinstance(document, dict):
        raise ValueError("the template is not a mapping")
    if not document:
        raise ValueError("the template is empty")
    return document


def _describe(error: Exception) -> str:
    """One line: where the parser stopped (PyYAML marks count from 0) and why."""
    mark, problem = getattr(error, "problem_mark", None), getattr(error, "problem", None)
    if mark is None or problem is None:
        return " ".join(str(error).split()) or type(error).__name__
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"


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
        parts = arg if isinstance(arg, list) else str(arg).split(".", 1)
        if len(parts) != 2:
            raise ValueError(f"Fn::GetAtt needs a resource and an attribute, not {arg!r}")
        return self.attribute_value(str(parts[0]), str(self.resolve(parts[1])))

    def attribute_value(self, resource: str, attribute: str) -> Any:
        """A resource attribute (Fn::GetAtt): only a deployment knows it, so it stays one."""
        return {"Fn::GetAtt": [resource, attribute]}

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
