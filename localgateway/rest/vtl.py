"""The part of API Gateway's mapping templates (Velocity) that MOCK responses here use.

Supported: `#set`, `#if`/`#elseif`/`#else`/`#end`, string literals with `$var`/`$!var`
references, `==`, `!=`, `&&`, `||`, `!`, `.contains(...)`, `$input.params()` lookups
(`.header.get('X')`, `.querystring.get('x')`, `.path.get('x')`, `$input.params('x')`),
`$context.*`, `$stageVariables.*`, and `$context.responseOverride.header.X` /
`.status` as targets. Anything else raises VtlError (the gateway answers 500), so a
template never silently renders differently from AWS.
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class VtlError(ValueError):
    """A template construct the local gateway does not evaluate."""


@dataclass
class Inputs:
    """What a template can read: `$input.params()`, `$context`, `$stageVariables`."""

    headers: Mapping[str, str]  # lower-case names (header lookups ignore case)
    query: Mapping[str, str]
    path: Mapping[str, str]
    context: Mapping[str, object]
    stage_variables: Mapping[str, str]


@dataclass
class Rendered:
    body: str
    headers: dict[str, str] = field(default_factory=dict)  # responseOverride.header.*
    status: int | None = None  # responseOverride.status


_DIRECTIVE = re.compile(r"#(set|if|elseif)\s*\(|#(else|end)\b|#\{(else|end)\}")
_REFERENCE = re.compile(r"\$(!?)\{?([A-Za-z][A-Za-z0-9_.-]*)\}?")
_TOKEN = re.compile(
    r"\s*(?:(?P<str>\"(?:[^\"\\]|\\.)*\"|'[^']*')|(?P<op>==|!=|&&|\|\||[!(),=])"
    r"|(?P<num>-?\d+)|(?P<word>true|false|null)\b|(?P<ref>\$!?\{?[A-Za-z][A-Za-z0-9_.-]*\}?))"
)


def render(template: str, inputs: Inputs) -> Rendered:
    out = Rendered("")
    variables: dict[str, Any] = {}
    _run(_parse(template), inputs, variables, out)
    return out


def _parse(template: str) -> list[Any]:
    """Nodes: text strings, ("set", expr) and ("if", [(condition, nodes)...], else_nodes)."""
    nodes: list[Any] = []
    stack: list[tuple[list[Any], list[Any]]] = []  # (branches of the open #if, outer nodes)
    current = nodes
    position = 0
    for match in _DIRECTIVE.finditer(template):
        if match.start() < position:
            continue
        current.append(template[position : match.start()])
        name = match.group(1) or match.group(2) or match.group(3)
        position = match.end()
        if name in ("set", "if", "elseif"):
            argument, position = _balanced(template, position)
        if name == "set":
            current.append(("set", argument))
        elif name == "if":
            branches: list[Any] = [[argument, []]]
            stack.append((branches, current))
            current.append(("if", branches))
            current = branches[0][1]
        elif name in ("elseif", "else"):
            if not stack:
                raise VtlError(f"#{name} without #if")
            branches = stack[-1][0]
            branches.append([argument if name == "elseif" else "true", []])
            current = branches[-1][1]
        else:  # end
            if not stack:
                raise VtlError("#end without #if")
            current = stack.pop()[1]
    if stack:
        raise VtlError("#if without #end")
    current.append(template[position:])
    return nodes


def _balanced(text: str, start: int) -> tuple[str, int]:
    depth, quote = 1, ""
    for index in range(start, len(text)):
        char = text[index]
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return text[start:index], index + 1
    raise VtlError("unbalanced parentheses in a directive")


def _run(nodes: list[Any], inputs: Inputs, variables: dict[str, Any], out: Rendered) -> None:
    for node in nodes:
        if isinstance(node, str):
            out.body += _interpolate(node, inputs, variables)
        elif node[0] == "set":
            _assign(node[1], inputs, variables, out)
        else:
            for condition, body in node[1]:
                if _truthy(Expression(condition, inputs, variables).value()):
                    _run(body, inputs, variables, out)
                    break


def _assign(argument: str, inputs: Inputs, variables: dict[str, Any], out: Rendered) -> None:
    target, sep, expression = argument.partition("=")
    if not sep:
        raise VtlError(f"#set({argument}) has no '='")
    name = target.strip().lstrip("$").strip("{}")
    value = Expression(expression, inputs, variables).value()
    if name.startswith("context.responseOverride.header."):
        out.headers[name.removeprefix("context.responseOverride.header.")] = _text(value)
    elif name == "context.responseOverride.status":
        out.status = int(_text(value))
    elif re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
        variables[name] = value
    else:
        raise VtlError(f"cannot #set {target.strip()}")


def _interpolate(text: str, inputs: Inputs, variables: dict[str, Any]) -> str:
    def reference(match: re.Match[str]) -> str:
        value = _lookup(match.group(2), inputs, variables)
        if value is None:
            return "" if match.group(1) else match.group(0)  # Velocity keeps unknown $x
        return _text(value)

    return _REFERENCE.sub(reference, text)


def _lookup(name: str, inputs: Inputs, variables: dict[str, Any]) -> Any:
    if name in variables:
        return variables[name]
    if name.startswith("context."):
        return inputs.context.get(name.removeprefix("context."))
    if name.startswith("stageVariables."):
        return inputs.stage_variables.get(name.removeprefix("stageVariables."))
    return None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _truthy(value: Any) -> bool:
    return value is not None and value is not False


class Expression:
    """A recursive-descent evaluator for directive arguments."""

    def __init__(self, text: str, inputs: Inputs, variables: dict[str, Any]) -> None:
        self.tokens = _tokens(text)
        self.index = 0
        self.inputs = inputs
        self.variables = variables

    def value(self) -> Any:
        result = self._or()
        if self.index != len(self.tokens):
            raise VtlError(f"unexpected {self.tokens[self.index][1]!r}")
        return result

    def _peek(self) -> str | None:
        return self.tokens[self.index][1] if self.index < len(self.tokens) else None

    def _take(self) -> tuple[str, str]:
        if self.index >= len(self.tokens):
            raise VtlError("the expression ends too soon")
        self.index += 1
        return self.tokens[self.index - 1]

    def _or(self) -> Any:
        left = self._and()
        while self._peek() == "||":
            self._take()
            right = self._and()
            left = _truthy(left) or _truthy(right)
        return left

    def _and(self) -> Any:
        left = self._comparison()
        while self._peek() == "&&":
            self._take()
            right = self._comparison()
            left = _truthy(left) and _truthy(right)
        return left

    def _comparison(self) -> Any:
        left = self._unary()
        if self._peek() in ("==", "!="):
            operator = self._take()[1]
            right = self._unary()
            same = _text(left) == _text(right) if None not in (left, right) else left is right
            return same if operator == "==" else not same
        return left

    def _unary(self) -> Any:
        if self._peek() == "!":
            self._take()
            return not _truthy(self._unary())
        if self._peek() == "(":
            self._take()
            value = self._or()
            if self._take()[1] != ")":
                raise VtlError("missing ')'")
            return value
        kind, text = self._take()
        if kind == "str":
            body = text[1:-1]
            return _interpolate(body, self.inputs, self.variables) if text[0] == '"' else body
        if kind == "num":
            return int(text)
        if kind == "word":
            return {"true": True, "false": False, "null": None}[text]
        if kind == "ref":
            return self._reference(text)
        raise VtlError(f"unexpected {text!r}")

    def _reference(self, text: str) -> Any:
        name = text.lstrip("$!").strip("{}")
        if name == "input.params":
            return self._input_params()
        if name.endswith(".contains"):
            base = _lookup(name.removesuffix(".contains"), self.inputs, self.variables)
            argument = self._arguments(1)[0]
            return base is not None and _text(argument) in _text(base)
        return _lookup(name, self.inputs, self.variables)

    def _arguments(self, count: int) -> list[Any]:
        if self._take()[1] != "(":
            raise VtlError("expected '('")
        values = []
        while self._peek() != ")":
            values.append(self._or())
            if self._peek() == ",":
                self._take()
        self._take()
        if len(values) != count:
            raise VtlError(f"expected {count} argument(s)")
        return values

    def _input_params(self) -> Any:
        """`$input.params('x')` or `$input.params().header.get('X')` (and querystring, path)."""
        if self._take()[1] != "(":
            raise VtlError("expected '(' after $input.params")
        if self._peek() != ")":
            name = _text(self._or())
            self._take()
            for source in (self.inputs.path, self.inputs.query):
                if name in source:
                    return source[name]
            return self.inputs.headers.get(name.lower())
        self._take()
        kind, text = self._take()
        match = re.fullmatch(r"\.?(header|querystring|path)\.get", text)
        if kind != "member" or match is None:
            raise VtlError(f"unsupported $input.params() member {text!r}")
        name = _text(self._arguments(1)[0])
        if match.group(1) == "header":
            return self.inputs.headers.get(name.lower())
        source = self.inputs.query if match.group(1) == "querystring" else self.inputs.path
        return source.get(name)


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        member = re.match(r"\s*(\.[A-Za-z][A-Za-z0-9_.]*)", text[position:])
        if member and tokens and tokens[-1][1] == ")":
            tokens.append(("member", member.group(1)))
            position += member.end()
            continue
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise VtlError(f"cannot read {text[position:]!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens
