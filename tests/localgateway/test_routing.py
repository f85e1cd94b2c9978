"""Route selection follows API Gateway's priorities."""

from __future__ import annotations

import pytest

from localgateway.routing import select_route
from localgateway.spec import Route


def routes(*keys: str) -> tuple[Route, ...]:
    return tuple(Route(key=key, integration="lambda") for key in keys)


@pytest.mark.parametrize(
    ("keys", "method", "path", "expected", "params"),
    [
        (("GET /pets", "ANY /{proxy+}"), "GET", "/pets", "GET /pets", {}),
        (("GET /pets", "ANY /{proxy+}"), "POST", "/pets", "ANY /{proxy+}", {"proxy": "pets"}),
        (("ANY /pets", "GET /pets"), "GET", "/pets", "GET /pets", {}),
        (("GET /pets/{id}", "ANY /{proxy+}"), "GET", "/pets/7", "GET /pets/{id}", {"id": "7"}),
        (
            ("ANY /{proxy+}", "$default"),
            "GET",
            "/v1/pets/1",
            "ANY /{proxy+}",
            {"proxy": "v1/pets/1"},
        ),
        (("ANY /{proxy+}", "$default"), "GET", "/", "$default", {}),
        (("ANY /", "ANY /{proxy+}"), "GET", "/", "ANY /", {}),
        (("ANY /{proxy+}",), "GET", "/v1/pets/", "ANY /{proxy+}", {"proxy": "v1/pets/"}),
        (("GET /a/{b}/c",), "GET", "/a/x/c", "GET /a/{b}/c", {"b": "x"}),
    ],
)
def test_select_route(
    keys: tuple[str, ...], method: str, path: str, expected: str, params: dict[str, str]
) -> None:
    match = select_route(routes(*keys), method, path)

    assert match is not None
    assert match.route.key == expected
    assert match.path_parameters == params


@pytest.mark.parametrize(
    ("keys", "method", "path"),
    [
        (("GET /pets",), "POST", "/pets"),
        (("GET /pets",), "GET", "/pets/1"),
        (("ANY /{proxy+}",), "GET", "/"),
        (("GET /a/{b}",), "GET", "/a/"),
    ],
)
def test_no_route_is_none(keys: tuple[str, ...], method: str, path: str) -> None:
    assert select_route(routes(*keys), method, path) is None
