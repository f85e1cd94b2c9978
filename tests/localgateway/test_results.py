"""Lambda results become HTTP responses by the payload-2.0 rules; malformed ones are 500s."""

from __future__ import annotations

from typing import Any

import pytest

from localgateway.results import MalformedResultError, from_lambda_result


def test_structured_result() -> None:
    response = from_lambda_result(
        {
            "statusCode": 201,
            "headers": {"Location": "/v1/pets/1", "X-N": 5},
            "cookies": ["a=1; Path=/", "b=2"],
            "body": '{"id": 1}',
            "isBase64Encoded": False,
        }
    )

    assert response.status == 201
    assert ("Location", "/v1/pets/1") in response.headers
    assert ("X-N", "5") in response.headers
    assert [v for n, v in response.headers if n == "set-cookie"] == ["a=1; Path=/", "b=2"]
    assert response.body == b'{"id": 1}'


def test_base64_body_is_decoded() -> None:
    response = from_lambda_result({"statusCode": 200, "body": "AP8=", "isBase64Encoded": True})

    assert response.body == b"\x00\xff"


def test_no_body_is_empty() -> None:
    assert from_lambda_result({"statusCode": 204}).body == b""


@pytest.mark.parametrize(
    ("result", "body"),
    [
        ({"message": "hi"}, b'{"message": "hi"}'),
        ("Hello from Lambda!", b"Hello from Lambda!"),
        ([1, 2], b"[1, 2]"),
        (42, b"42"),
        (None, b"null"),
    ],
)
def test_without_status_code_the_gateway_infers_200_json(result: Any, body: bytes) -> None:
    response = from_lambda_result(result)

    assert response.status == 200
    assert response.headers == [("content-type", "application/json")]
    assert response.body == body


@pytest.mark.parametrize(
    "result",
    [
        {"statusCode": "200"},
        {"statusCode": True},
        {"statusCode": 99},
        {"statusCode": 600},
        {"statusCode": 200, "headers": ["a"]},
        {"statusCode": 200, "cookies": "a=1"},
        {"statusCode": 200, "headers": {"a": {"nested": 1}}},
        {"statusCode": 200, "body": {"not": "a string"}},
        {"statusCode": 200, "body": "not base64!", "isBase64Encoded": True},
    ],
)
def test_malformed_results_are_refused(result: dict[str, Any]) -> None:
    with pytest.raises(MalformedResultError):
        from_lambda_result(result)
