"""Idempotency-Key on POST (IETF draft-ietf-httpapi-idempotency-key-header): run once, replay.

`@idempotent` on a DRF view method: a request with the header runs once per caller and
key; a retry of the same request (method, path, query, body) gets the stored response with
`Idempotent-Replayed: true`; the same key on another request is a 422; a retry while the
first still runs is a 409 with Retry-After. 2xx and 4xx responses are stored; a 5xx (or an
exception) releases the key, so the client can retry. Records live in apps.idempotency's
store; requests refused before the view runs (403, 429, a body that does not parse) hold
no key and store nothing. The store's module is imported with the first request that carries
the header, not with the views that use `@idempotent` (a Lambda cold start serving a read
does not load it).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections.abc import Callable
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any, cast

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpResponse, HttpResponseBase
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.idempotency.models import KEY_MAX_LENGTH

if TYPE_CHECKING:
    from apps.idempotency.stores import IdempotencyStore, Replay, Started, StoredResponse

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# What a replay repeats besides status and body; per-request headers (X-RateLimit-*,
# X-Request-Id, Cache-Control) are this request's own.
STORED_HEADERS = ("Content-Type", "Location", "ETag")
# The first request usually finishes within a second; after IDEMPOTENCY["LEASE"] a dead
# holder's key is taken over.
RETRY_AFTER_SECONDS = 1

logger = logging.getLogger(__name__)


class KeyInProgress(exceptions.APIException):
    status_code = 409
    default_detail = "A request with this Idempotency-Key is still in progress."
    default_code = "idempotency_key_in_progress"
    wait = RETRY_AFTER_SECONDS


class KeyReused(exceptions.APIException):
    status_code = 422
    default_detail = "This Idempotency-Key was already used for a different request."
    default_code = "idempotency_key_reused"


class StoreUnavailable(exceptions.APIException):
    status_code = 503
    default_detail = "Service Unavailable"
    default_code = "service_unavailable"
    wait = 5


def idempotency_key(request: Request) -> str | None:
    """The header's key, unquoted if sent as a structured-field string ("..."); None when
    absent. Empty, longer than 255 characters, or not printable ASCII: a 400."""
    raw = request.META.get("HTTP_" + HEADER.upper().replace("-", "_"))
    if raw is None:
        return None
    key = raw.strip(" \t")
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    problem = None
    if not key:
        problem = "Must not be empty."
    elif len(key) > KEY_MAX_LENGTH:
        problem = f"Must be at most {KEY_MAX_LENGTH} characters."
    elif not all(" " <= char <= "~" for char in key):
        problem = "Must be printable ASCII."
    if problem:
        raise exceptions.ValidationError({HEADER: [problem]})
    return str(key)


def _file_part(value: Any) -> Any:
    if isinstance(value, UploadedFile):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return {"file": value.name, "type": value.content_type, "sha256": digest.hexdigest()}
    raise TypeError(f"Cannot fingerprint {type(value).__name__}")


def fingerprint(request: Request) -> str:
    """SHA-256 of what makes two requests the same: method, path, query and parsed body.

    The parsed body, not its bytes: JSON that differs only in key order or spacing is the
    same request, as is a multipart form sent again with a new boundary; a file is its
    name, declared type and a hash of its bytes.
    """
    data: Any = request.data
    if isinstance(data, MultiValueDict):
        data = {key: data.getlist(key) for key in data}
    query = sorted((key, request.query_params.getlist(key)) for key in request.query_params)
    # The trailing slash is optional on every route: /v1/pets and /v1/pets/ are one path.
    parts = [request.method, request.path_info.rstrip("/"), query, data]
    try:
        text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=_file_part)
    except RecursionError:
        raise exceptions.ParseError("JSON parse error - nested too deeply.") from None
    return hashlib.sha256(text.encode()).hexdigest()


def replay(stored: StoredResponse) -> HttpResponse:
    response = HttpResponse(stored.body, status=stored.status)
    del response["Content-Type"]  # Only the stored one, if there was one (not on a 204).
    for name, value in stored.headers:
        response[name] = value
    response[REPLAYED_HEADER] = "true"
    return response


def _snapshot(response: HttpResponseBase) -> StoredResponse:
    from apps.idempotency.stores import StoredResponse

    headers = tuple((name, response[name]) for name in STORED_HEADERS if name in response)
    return StoredResponse(response.status_code, headers, bytes(response.content))  # type: ignore[attr-defined]


def _respond(
    view: APIView, request: Request, call: Callable[[], HttpResponseBase], *, savepoint: bool
) -> Any:
    """Run the handler and turn it into the final, rendered response (errors included)."""
    try:
        # Inside the store's transaction, a savepoint: a 4xx raised midway keeps none of
        # the request's writes, while its response is still stored.
        with transaction.atomic() if savepoint else nullcontext():
            response = call()
    except Exception as exc:
        response = view.handle_exception(exc)  # Re-raises what is not an API error (a 500).
    response = view.finalize_response(request, response)  # type: ignore[arg-type]
    if isinstance(response, Response):
        response.render()
    return response


def _begin(
    store: IdempotencyStore, *, owner_id: int, key: str, request: Request
) -> Started | Replay:
    from apps.idempotency.stores import InProgress, Mismatch, StoreUnavailableError

    request_fingerprint = fingerprint(request)  # Reads the body: a bad one is refused first.
    try:
        begun = store.begin(
            owner_id=owner_id, key=key, fingerprint=request_fingerprint, now=timezone.now()
        )
    except StoreUnavailableError:
        logger.warning("The idempotency store is unavailable", exc_info=True)
        raise StoreUnavailable() from None
    if isinstance(begun, InProgress):
        raise KeyInProgress()
    if isinstance(begun, Mismatch):
        raise KeyReused()
    return begun


def _complete(
    store: IdempotencyStore, *, owner_id: int, key: str, token: str, response: HttpResponseBase
) -> None:
    from apps.idempotency.stores import StoreUnavailableError

    try:
        held = store.complete(
            owner_id=owner_id,
            key=key,
            token=token,
            response=_snapshot(response),
            now=timezone.now(),
        )
    except StoreUnavailableError:
        # Only Redis can fail here, after the write committed: answer with it (the client
        # then has no reason to retry) and let the lease free the key.
        logger.warning("A response could not be stored for its Idempotency-Key", exc_info=True)
        return
    if not held:
        # Our lease ran out and a retry took the key over: that one writes, we must not.
        raise KeyInProgress()


def _release(store: IdempotencyStore, *, owner_id: int, key: str, token: str) -> None:
    from apps.idempotency.stores import StoreUnavailableError

    try:
        store.release(owner_id=owner_id, key=key, token=token)
    except StoreUnavailableError:
        logger.warning("An Idempotency-Key could not be released", exc_info=True)


def _run(view: APIView, request: Request, key: str, call: Callable[[], Any]) -> HttpResponseBase:
    from apps.idempotency.stores import Replay, get_store

    owner_id = cast(int, request.user.pk)  # Authenticated: every caller here has a user.
    store = get_store()
    begun = _begin(store, owner_id=owner_id, key=key, request=request)
    if isinstance(begun, Replay):
        return replay(begun.response)
    held: dict[str, Any] = {"owner_id": owner_id, "key": key, "token": begun.token}
    completed = False
    try:
        # The database store's record commits with the request's writes, or neither does.
        with transaction.atomic() if store.joins_transaction else nullcontext():
            response: HttpResponseBase = _respond(
                view, request, call, savepoint=store.joins_transaction
            )
            if response.status_code < 500:
                _complete(store, response=response, **held)
                completed = True
            elif store.joins_transaction:
                transaction.set_rollback(True)  # Nothing of a failed request stays.
    finally:
        if not completed:
            _release(store, **held)
    return response


def idempotent(handler: Callable[..., Any]) -> Callable[..., Any]:
    """Make a DRF view method (a POST that creates) honour the Idempotency-Key header."""

    @functools.wraps(handler)
    def wrapper(view: APIView, request: Request, *args: Any, **kwargs: Any) -> HttpResponseBase:
        key = idempotency_key(request)
        if key is None:
            return handler(view, request, *args, **kwargs)  # type: ignore[no-any-return]
        return _run(view, request, key, lambda: handler(view, request, *args, **kwargs))

    wrapper.idempotent = True  # type: ignore[attr-defined]  # read by the OpenAPI schema
    return wrapper


def is_idempotent(method: Any) -> bool:
    """Whether a view method was wrapped by `idempotent` (for the OpenAPI document)."""
    return bool(getattr(method, "idempotent", False))
