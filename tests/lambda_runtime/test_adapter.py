"""Every front door, fed real AWS event samples rewritten to our routes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from apps.pets.models import Pet
from tests.factories import PetFactory
from tests.lambda_runtime import events
from tests.lambda_runtime.conftest import Invoke, body_json, header

pytestmark = pytest.mark.django_db


@pytest.fixture
def pet(user: Any) -> Pet:
    return PetFactory(owner=user, name="Rex")


def test_http_api_v2_without_authorizer_reads_a_pet(
    invoke: Invoke, auth_headers, user, pet
) -> None:
    event = events.http_api(path=f"/v1/pets/{pet.pk}", headers=auth_headers(user))

    result = invoke(event)

    assert result["statusCode"] == 200
    assert body_json(result)["name"] == "Rex"
    assert result["isBase64Encoded"] is False
    assert result["headers"]["content-type"] == "application/json"
    assert result["headers"]["x-request-id"] == "LV7fzho-PHcEJPw="
    assert "multiValueHeaders" not in result


def test_http_api_v2_without_credentials_is_refused(invoke: Invoke, pet) -> None:
    result = invoke(events.http_api(path=f"/v1/pets/{pet.pk}"))

    assert result["statusCode"] in (401, 403)
    assert set(body_json(result)) == {"message"}


@pytest.mark.parametrize(
    ("fixture", "authorizer"),
    [
        (events.V2_JWT, {"jwt": {"claims": {"claim1": "value1", "claim2": "value2"}}}),
        (events.V2_LAMBDA_AUTHORIZER, {"lambda": {"key": "value"}}),
        (events.V2_IAM, {"iam": {"userArn": "arn:aws:iam::1234567890:user/Admin"}}),
    ],
)
def test_http_api_v2_with_authorizers(
    invoke: Invoke, auth_headers, user, pet, fixture: str, authorizer: dict[str, Any]
) -> None:
    read = invoke(events.http_api(fixture, path=f"/v1/pets/{pet.pk}", headers=auth_headers(user)))
    seen = body_json(invoke(events.http_api(fixture, path="/v1/echo")))

    assert read["statusCode"] == 200
    assert body_json(read)["id"] == pet.pk
    # The authorizer's verdict reaches Django through the raw event (environ "aws.event").
    kind, expected = next(iter(authorizer.items()))
    assert expected.items() <= seen["authorizer"][kind].items()
    assert seen["lambda_request_id"] == "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"


def test_rest_api_creates_a_pet_with_stage_in_location(invoke: Invoke, auth_headers, user) -> None:
    headers = events.multi({"Content-Type": "application/json", **auth_headers(user)})
    event = events.rest(method="POST", headers=headers, body='{"name": "Tom", "species": "cat"}')

    result = invoke(event)

    assert result["statusCode"] == 201, result["body"]
    pet = Pet.objects.get(name="Tom")
    # The sample was sent to stage "testStage" on its execute-api host: REST leaves the
    # stage out of `path`, but the client's URL has it.
    host = "gy415nuibc.execute-api.us-east-1.amazonaws.com"
    assert header(result, "location") == f"https://{host}/testStage/v1/pets/{pet.pk}"
    assert header(result, "x-request-id") == "deef4878-7910-11e6-8f14-25afc3e9ae33"
    assert "multiValueHeaders" in result


def test_http_api_payload_1_0_lists_pets_with_repeated_query_keys(
    invoke: Invoke, auth_headers, user
) -> None:
    PetFactory(owner=user, name="Rex")
    PetFactory(owner=user, name="Tom")
    query = {"ordering": ["name"], "page_size": ["1"]}
    event = events.rest(events.HTTP_API_V1, query=query, headers=events.multi(auth_headers(user)))

    result = invoke(event)
    echoed = body_json(
        invoke(events.rest(events.HTTP_API_V1, path="/v1/echo", query={"t": ["a", "b"]}))
    )

    assert result["statusCode"] == 200
    page = body_json(result)
    assert [p["name"] for p in page["results"]] == ["Rex"]
    assert (
        page["next"]
        == "https://id.execute-api.us-east-1.amazonaws.com/v1/pets?ordering=name&page=2&page_size=1"
    )
    assert echoed["query"] == {"t": ["a", "b"]}
    assert echoed["meta"]["HTTP_HEADER2"] == "value1, value2"  # multi-value header, joined


def test_alb_with_multi_value_headers(invoke: Invoke, auth_headers, user, pet) -> None:
    read = invoke(events.alb(path=f"/v1/pets/{pet.pk}", headers=events.multi(auth_headers(user))))
    event = events.alb(path="/v1/echo", headers={"x-myheader": ["a", "b"]}, query={"k": ["1", "2"]})

    result = invoke(event)
    seen = body_json(result)

    assert read["statusCode"] == 200
    assert body_json(read)["id"] == pet.pk
    # Multi-value headers on: the response must use multiValueHeaders only.
    assert "headers" not in result
    assert result["multiValueHeaders"]["content-type"] == ["application/json"]
    assert seen["meta"]["HTTP_X_MYHEADER"] == "a,b"
    assert seen["query"] == {"k": ["1", "2"]}
    assert seen["scheme"] == "http"  # x-forwarded-proto from the load balancer
    assert seen["absolute_uri"].startswith(
        "http://lambda-test-alb-1234567.us-east-1.elb.amazonaws.com/"
    )
    assert seen["remote_addr"] == "72.21.198.67"
    assert header(result, "x-request-id") == "Root=1-5c34e7d4-00ca239424b68028d4c56d68"


def test_alb_takes_the_address_the_load_balancer_saw(invoke: Invoke) -> None:
    spoofed = {"x-forwarded-for": ["6.6.6.6, 72.21.198.67"]}

    seen = body_json(invoke(events.alb(path="/v1/echo", headers=spoofed)))

    assert seen["remote_addr"] == "72.21.198.67"


def test_alb_without_multi_value_headers_answers_with_headers(invoke: Invoke) -> None:
    result = invoke(events.alb(events.ALB_SINGLE, path="/v1/echo"))

    assert result["statusCode"] == 200
    assert "multiValueHeaders" not in result
    assert result["headers"]["content-type"] == "application/json"
    assert body_json(result)["query"] == {"query": ["1234ABCD"]}


def test_alb_repeated_query_keys(invoke: Invoke) -> None:
    event = events.load(events.ALB_MULTI_QUERY)
    event["path"] = "/v1/echo"

    seen = body_json(invoke(event))

    assert seen["query"] == {"parameter1": ["value1", "value2"], "parameter2": ["value"]}
    assert seen["meta"]["HTTP_HEADER2"] == "value1,value2"


def test_function_url_creates_a_pet(invoke: Invoke, auth_headers, user) -> None:
    event = events.function_url(
        method="POST",
        path="/v1/pets",
        headers={"content-type": "application/json", **auth_headers(user)},
        body=json.dumps({"name": "Fin", "species": "fish"}),
    )

    result = invoke(event)

    assert result["statusCode"] == 201, result["body"]
    pet = Pet.objects.get(name="Fin")
    # No Host header in the sample: the domain the client called stands in; no stage.
    assert result["headers"]["location"] == f"https://{events.FUNCTION_URL_HOST}/v1/pets/{pet.pk}"
    assert result["headers"]["x-request-id"] == "id"


def test_repeated_query_keys_come_from_raw_query_string(invoke: Invoke) -> None:
    event = events.http_api(path="/v1/echo", query="tag=a&tag=b&csv=1%2C2&empty=")

    seen = body_json(invoke(event))

    # queryStringParameters says {"tag": "a,b", "csv": "1,2"}: ambiguous; rawQueryString is not.
    assert seen["query"] == {"tag": ["a", "b"], "csv": ["1,2"], "empty": [""]}


def test_v2_cookies_array_becomes_the_cookie_header(invoke: Invoke) -> None:
    seen = body_json(invoke(events.http_api(path="/v1/echo", cookies=["a=1", "b=two words"])))

    assert seen["cookies"] == {"a": "1", "b": "two words"}


def test_rest_multi_value_cookie_headers_are_all_kept(invoke: Invoke) -> None:
    event = events.rest(path="/v1/echo", headers={"Cookie": ["a=1", "b=2"]})

    seen = body_json(invoke(event))

    assert seen["cookies"] == {"a": "1", "b": "2"}


def test_set_cookie_goes_to_cookies_in_v2(invoke: Invoke) -> None:
    result = invoke(events.http_api(path="/v1/echo/cookies"))

    assert len(result["cookies"]) == 2
    assert result["cookies"][0].startswith("first=1;")
    assert "HttpOnly" in result["cookies"][0]
    assert result["cookies"][1].startswith("second=2;")
    assert "set-cookie" not in result["headers"]


@pytest.mark.parametrize("front_door", ["rest", "alb"])
def test_set_cookie_goes_to_multi_value_headers_in_v1_and_alb(
    invoke: Invoke, front_door: str
) -> None:
    event = getattr(events, front_door)(path="/v1/echo/cookies")

    result = invoke(event)

    cookies = result["multiValueHeaders"]["set-cookie"]
    assert [c.split(";")[0] for c in cookies] == ["first=1", "second=2"]


def test_no_asgi_cycle_lifespan_or_event_loop_is_involved(
    invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mangum.adapter

    def forbidden(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the adapter must call Django's WSGI handler directly")

    monkeypatch.setattr(mangum.adapter, "LifespanCycle", forbidden)
    monkeypatch.setattr(mangum.adapter, "HTTPCycle", forbidden)
    monkeypatch.setattr("asyncio.new_event_loop", forbidden)

    assert invoke(events.http_api(path="/health"))["statusCode"] == 200
