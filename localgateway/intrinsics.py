"""Parse a CloudFormation template with cfn-lint's parser and resolve the intrinsics we need."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cfnlint.decode import decode_str

NO_VALUE = object()  # AWS::NoValue: the key disappears


def load_template(text: str) -> dict[str, Any]:
    """Parse a CloudFormation/SAM template written in YAML or JSON.

    cfn-lint's decoder turns short-form tags into the long form (`!Ref x` into
    {"Ref": "x"}, `!GetAtt a.b` into {"Fn::GetAtt": ["a", "b"]}) and refuses what
    CloudFormation refuses (malformed YAML or JSON, duplicate keys); a ValueError says where.
    """
    document, problems = decode_str(text)
    if problems:
        raise ValueError("; ".join(list(dict.fromkeys(map(_describe, problems)))[:5]))
    if not isinstance(document, dict):
        raise ValueError("the template is not a mapping")
    if not document:
        raise ValueError("the template is empty")
    plain: dict[str, Any] = _plain(document)
    return plain


def _describe(problem: Any) -> str:
    """One line for one of cfn-lint's parse errors, with its line unless it names one."""
    message = " ".join(str(problem.message).split())
    return message if "line " in message else f"line {problem.linenumber}: {message}"


def _plain(value: Any) -> Any:
    """Plain dicts, lists and strings instead of cfn-lint's position-carrying subclasses,
    which cannot be pickled (worker processes) and carry more than callers need."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, str):
        return str(value)
    return value


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
