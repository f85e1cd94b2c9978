"""API Gateway HTTP API route selection: exact, then variables, then greedy, then $default."""

from __future__ import annotations

from dataclasses import dataclass

from localgateway.spec import Route


@dataclass(frozen=True)
class Match:
    route: Route
    path_parameters: dict[str, str]


def _match_path(template: str, path: str) -> dict[str, str] | None:
    """Path parameters when `path` fits the route path `template`, else None."""
    want = template.strip("/").split("/") if template.strip("/") else []
    have = path.lstrip("/").split("/") if path.lstrip("/") else []
    params: dict[str, str] = {}
    for index, part in enumerate(want):
        if part.startswith("{") and part.endswith("+}"):
            rest = "/".join(have[index:])
            if index != len(want) - 1 or not rest:
                return None  # greedy variables are last and match at least one character
            params[part[1:-2]] = rest
            return params
        if index >= len(have):
            return None
        if part.startswith("{") and part.endswith("}"):
            if not have[index]:
                return None
            params[part[1:-1]] = have[index]
        elif part != have[index]:
            return None
    return params if len(have) == len(want) else None


def _specificity(route: Route) -> tuple[int, int, int]:
    parts = route.path.strip("/").split("/")
    greedy = any(part.endswith("+}") for part in parts)
    literals = sum(1 for part in parts if not part.startswith("{"))
    return (0 if greedy else 1, literals, 0 if route.method == "ANY" else 1)


def select_route(routes: tuple[Route, ...], method: str, path: str) -> Match | None:
    """The route API Gateway would pick for `method path` (stage already removed)."""
    candidates: list[tuple[tuple[int, int, int], Match]] = []
    default: Route | None = None
    for route in routes:
        if route.key == "$default":
            default = route
            continue
        if route.method not in ("ANY", method):
            continue
        params = _match_path(route.path, path)
        if params is not None:
            candidates.append((_specificity(route), Match(route, params)))
    if candidates:
        return max(candidates, key=lambda item: item[0])[1]
    return Match(default, {}) if default else None
