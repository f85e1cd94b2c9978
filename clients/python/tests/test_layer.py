"""The hand-written layer without a server (httpx.MockTransport): retries, typed errors from
any body, unknown fields, odd keys, and links that must not be followed."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from pets_api import connect, etag, new_idempotency_key, ok, pages, send_upload
from pets_api.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    PreconditionFailed,
    ServerError,
    ServiceUnavailable,
    TooManyRequests,
    retry_after,
)
from pets_api_client import AuthenticatedClient
from pets_api_client.api.pets import create_pet, get_pet, list_pets
from pets_api_client.models import PetRequest, PresignedUpload

BASE = "https://api.example.com/prod"
PET = {
    "id": 1,
    "name": "Rex",
    "species": "dog",
    "birth_date": None,
    "notes": "",
    "version": 1,
    "created_at": "2026-01-01T00:00:00Z",
    "updated_at": "2026-01-01T00:00:00Z",
}

Handler = Callable[[httpx.Request], httpx.Response]


def client(
    handler: Handler, sleeps: list[float] | None = None, **options: Any
) -> AuthenticatedClient:
    record = sleeps.append if sleeps is not None else (lambda _: None)
    transport = httpx.MockTransport(handler)
    return connect(BASE, api_key="prefix.secret", transport=transport, sleep=record, **options)


def answers(*responses: httpx.Response) -> tuple[Handler, list[httpx.Request]]:
    """A handler that gives `responses` in turn, and the requests it saw."""
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return responses[len(seen) - 1]

    return handle, seen


def test_the_key_goes_in_x_api_key_as_is_under_the_stage() -> None:
    handler, seen = answers(httpx.Response(200, json=PET))

    ok(get_pet.sync(client=client(handler), id=1))

    assert seen[0].url == f"{BASE}/v1/pets/1"
    assert seen[0].headers["x-api-key"] == "prefix.secret"
    assert "authorization" not in seen[0].headers


def test_a_token_goes_as_a_bearer_token() -> None:
    handler, seen = answers(httpx.Response(200, json=PET))
    api = connect(BASE, token="a.b.c", transport=httpx.MockTransport(handler))

    get_pet.sync(client=api, id=1)

    assert seen[0].headers["authorization"] == "Bearer a.b.c"
    assert "x-api-key" not in seen[0].headers


@pytest.mark.parametrize("key", ["", " padded", "line\nbreak", "caf\u00e9", "tab\t"])
def test_a_key_that_cannot_be_a_header_value_is_refused_up_front(key: str) -> None:
    with pytest.raises(ValueError, match="printable ASCII"):
        connect(BASE, api_key=key)


def test_one_credential_exactly() -> None:
    with pytest.raises(ValueError, match="api_key or token"):
        connect(BASE)
    with pytest.raises(ValueError, match="api_key or token"):
        connect(BASE, api_key="a", token="b")


def test_fields_the_server_added_later_are_kept_not_fatal() -> None:
    handler, _ = answers(httpx.Response(200, json={**PET, "colour": "brown", "tags": [1]}))

    pet = ok(get_pet.sync(client=client(handler), id=1))

    assert pet.name == "Rex"
    assert pet.additional_properties == {"colour": "brown", "tags": [1]}


def test_a_non_json_server_error_from_a_proxy_is_a_clear_error() -> None:
    page = "<html><body><h1>502 Bad Gateway</h1></body></html>"
    handler, _ = answers(httpx.Response(502, text=page, headers={"content-type": "text/html"}))

    with pytest.raises(ServerError) as raised:
        get_pet.sync(client=client(handler, retries=0), id=1)

    assert raised.value.status == 502
    assert raised.value.message == "Bad Gateway: " + page
    assert raised.value.errors == {}


@pytest.mark.parametrize("body", [b"", b"[]", b'"oops"', b"\xff\xfe", b'{"message": 5}'])
def test_any_error_body_gives_a_message(body: bytes) -> None:
    handler, _ = answers(httpx.Response(500, content=body))

    with pytest.raises(ServerError) as raised:
        get_pet.sync(client=client(handler), id=1)

    assert raised.value.message.startswith("Internal Server Error")
    assert raised.value.body == body


def test_validation_errors_are_read_leniently() -> None:
    body = {"message": "Invalid input.", "errors": {"name": ["Too long."], "odd": "one", "n": [1]}}
    handler, _ = answers(httpx.Response(400, json=body))

    with pytest.raises(BadRequest) as raised:
        create_pet.sync(client=client(handler), body=PetRequest(name="x", species="dog"))

    assert raised.value.errors == {"name": ["Too long."], "odd": ["one"], "n": ["1"]}
    assert str(raised.value) == "400 Invalid input."


def test_429_is_retried_after_retry_after() -> None:
    handler, seen = answers(
        httpx.Response(429, json={"message": "Too Many Requests"}, headers={"Retry-After": "2"}),
        httpx.Response(201, json=PET),
    )
    sleeps: list[float] = []

    pet = ok(
        create_pet.sync(client=client(handler, sleeps), body=PetRequest(name="R", species="dog"))
    )

    assert pet.id == 1
    assert sleeps == [2.0]
    assert [request.content for request in seen] == [seen[0].content] * 2  # the same body again


def test_retries_stop_after_the_last_one_with_the_typed_error() -> None:
    refused = httpx.Response(
        429, json={"message": "Too Many Requests"}, headers={"Retry-After": "1"}
    )
    handler, seen = answers(*[refused] * 3)
    sleeps: list[float] = []

    with pytest.raises(TooManyRequests) as raised:
        get_pet.sync(client=client(handler, sleeps, retries=2), id=1)

    assert (len(seen), sleeps, raised.value.retry_after) == (3, [1.0, 1.0], 1.0)


def test_a_wait_longer_than_max_wait_is_not_retried() -> None:
    limit = httpx.Response(429, json={"message": "Limit Exceeded"}, headers={"Retry-After": "3600"})
    handler, seen = answers(limit)
    sleeps: list[float] = []

    with pytest.raises(TooManyRequests):
        get_pet.sync(client=client(handler, sleeps, max_wait=60), id=1)

    assert (len(seen), sleeps) == (1, [])


def test_503_is_retried_for_reads_with_backoff_when_no_retry_after() -> None:
    unavailable = httpx.Response(503, json={"message": "Service Unavailable"})
    handler, seen = answers(unavailable, unavailable, httpx.Response(200, json=PET))
    sleeps: list[float] = []

    ok(get_pet.sync(client=client(handler, sleeps), id=1))

    assert (len(seen), sleeps) == (3, [0.5, 1.0])


def test_503_of_a_create_without_idempotency_key_is_not_retried() -> None:
    unavailable = httpx.Response(
        503, json={"message": "Service Unavailable"}, headers={"Retry-After": "5"}
    )
    handler, seen = answers(unavailable)

    with pytest.raises(ServiceUnavailable) as raised:
        create_pet.sync(client=client(handler), body=PetRequest(name="R", species="dog"))

    assert (len(seen), raised.value.retry_after) == (1, 5.0)


def test_a_create_with_an_idempotency_key_is_retried_with_the_same_key() -> None:
    handler, seen = answers(
        httpx.Response(503, json={"message": "Service Unavailable"}, headers={"Retry-After": "1"}),
        httpx.Response(409, json={"message": "In progress"}, headers={"Retry-After": "1"}),
        httpx.Response(201, json=PET),
    )
    key = new_idempotency_key()
    body = PetRequest(name="R", species="dog")

    ok(create_pet.sync(client=client(handler), body=body, idempotency_key=key))

    assert [request.headers["idempotency-key"] for request in seen] == [key] * 3


def test_a_409_without_idempotency_key_is_a_conflict() -> None:
    handler, seen = answers(
        httpx.Response(409, json={"message": "Conflict"}, headers={"Retry-After": "1"})
    )

    with pytest.raises(Conflict):
        get_pet.sync(client=client(handler), id=1)

    assert len(seen) == 1


def test_retry_after_as_an_http_date() -> None:
    now = time.time()
    later = email.utils.formatdate(now + 30, usegmt=True)

    assert retry_after(httpx.Headers({"Retry-After": later}), now=now) == pytest.approx(30, abs=1)
    assert retry_after(httpx.Headers({"Retry-After": "soon"})) is None
    assert retry_after(httpx.Headers({})) is None


def test_412_carries_the_current_etag_and_etag_reads_it() -> None:
    handler, _ = answers(
        httpx.Response(200, json=PET, headers={"ETag": '"1"'}),
        httpx.Response(412, json={"message": "Precondition Failed"}, headers={"ETag": '"2"'}),
    )
    api = client(handler)

    assert etag(get_pet.sync_detailed(client=api, id=1)) == '"1"'
    with pytest.raises(PreconditionFailed) as raised:
        get_pet.sync(client=api, id=1)
    assert raised.value.etag == '"2"'


def test_pages_refuse_a_next_link_to_another_host() -> None:
    page = {
        "count": 3,
        "next": "https://evil.example.com/v1/pets?page=2",
        "previous": None,
        "results": [PET],
    }
    handler, seen = answers(httpx.Response(200, json=page))

    with pytest.raises(ValueError, match="another origin"):
        list(pages(list_pets.sync_detailed, client=client(handler)))

    assert len(seen) == 1


def test_pages_stop_at_a_404_but_not_at_other_errors() -> None:
    first = {"count": 3, "next": f"{BASE}/v1/pets?page=2", "previous": None, "results": [PET]}
    handler, _ = answers(
        httpx.Response(200, json=first), httpx.Response(404, json={"message": "Not Found"})
    )
    assert [
        len(page.results) for page in pages(list_pets.sync_detailed, client=client(handler))
    ] == [1]

    handler, _ = answers(httpx.Response(200, json=first), httpx.Response(500, text="boom"))
    with pytest.raises(ServerError):
        list(pages(list_pets.sync_detailed, client=client(handler)))


def test_ok_refuses_what_is_not_a_success() -> None:
    with pytest.raises(TypeError):
        ok(None)


def test_a_network_error_is_retried_for_a_keyed_create_only() -> None:
    calls: list[httpx.Request] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            raise httpx.ReadTimeout("timed out", request=request)
        return httpx.Response(201, json=PET)

    sleeps: list[float] = []
    api = client(flaky, sleeps)
    body = PetRequest(name="R", species="dog")
    ok(create_pet.sync(client=api, body=body, idempotency_key=new_idempotency_key()))
    assert (len(calls), sleeps) == (2, [0.5])

    calls.clear()
    with pytest.raises(httpx.ReadTimeout):
        create_pet.sync(client=api, body=body)
    assert len(calls) == 1


@pytest.mark.parametrize("status", [502, 504])
def test_gateway_errors_are_retried_for_reads(status: int) -> None:
    handler, seen = answers(
        httpx.Response(status, json={"message": "Gateway"}), httpx.Response(200, json=PET)
    )

    ok(get_pet.sync(client=client(handler), id=1))

    assert len(seen) == 2


def test_a_presigned_upload_sends_the_fields_then_the_file_and_no_key() -> None:
    handler, seen = answers(httpx.Response(204))
    upload = PresignedUpload.from_dict(
        {
            "url": "https://bucket.example.com/",
            "method": "POST",
            "fields": {"key": "uploads/1", "Content-Type": "image/png", "policy": "p"},
            "expires_at": "2030-01-01T00:00:00Z",
        }
    )

    send_upload(upload, b"\x89PNG", filename="rex.png", transport=httpx.MockTransport(handler))

    request = seen[0]
    assert (request.method, str(request.url)) == ("POST", "https://bucket.example.com/")
    assert "x-api-key" not in request.headers
    body = request.content
    names = [body.index(f'name="{name}"'.encode()) for name in ("key", "Content-Type", "policy")]
    assert names == sorted(names)
    assert body.index(b'name="file"; filename="rex.png"') > names[-1]
    assert b"Content-Type: image/png\r\n\r\n\x89PNG" in body


def test_a_refused_presigned_upload_raises_the_typed_error() -> None:
    handler, _ = answers(httpx.Response(403, text="<Error><Code>AccessDenied</Code></Error>"))
    upload = PresignedUpload.from_dict(
        {
            "url": "https://b.example.com/",
            "method": "POST",
            "fields": {},
            "expires_at": "2030-01-01T00:00:00Z",
        }
    )

    with pytest.raises(Forbidden) as raised:
        send_upload(upload, b"x", transport=httpx.MockTransport(handler))

    assert "AccessDenied" in raised.value.message
