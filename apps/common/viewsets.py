"""View mixins for owner data: strong ETags, conditional reads (304) and writes (412, 428);
the project's GenericViewSet, routed without loading the OpenAPI generator."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any, cast

from django.db.models import Model
from django.http import HttpResponseBase
from django.utils.cache import patch_cache_control, patch_vary_headers
from rest_framework import status, viewsets
from rest_framework.decorators import MethodMapper
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer, Serializer
from rest_framework.views import APIView

from apps.common.conditional import (
    EntityTag,
    Outcome,
    PreconditionFailed,
    PreconditionRequired,
    Preconditions,
    StaleVersionError,
    conditional_settings,
    data_etag,
    object_etag,
    page_etag,
)

# Headers that pick whose data a response holds: a cache must never hand one caller's
# response to another, even a browser shared by two keys.
CREDENTIAL_HEADERS = ("Authorization", "x-api-key")


PRIVATE = "private, no-cache"
VARY = ", ".join(CREDENTIAL_HEADERS)


def mark_private(response: HttpResponseBase) -> None:
    """Owner data: browsers may keep it but must revalidate; shared caches never store it."""
    # Django's patch_* helpers parse and rebuild the headers (about 13 µs a response); the
    # usual cases (no Cache-Control yet, Vary just DRF's "Accept") are set directly.
    if "Cache-Control" in response:
        patch_cache_control(response, private=True, no_cache=True)
    else:
        response["Cache-Control"] = PRIVATE
    vary = response.get("Vary")
    if vary is None:
        response["Vary"] = VARY
    elif vary == "Accept":
        response["Vary"] = f"Accept, {VARY}"
    else:
        patch_vary_headers(response, CREDENTIAL_HEADERS)


def not_modified(etag: EntityTag) -> Response:
    """304: no body, the tag (and, from finalize_response, the same caching headers)."""
    return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": str(etag)})


@cache
def representation(serializer_class: type[Serializer[Any]]) -> str:
    """The model and the fields a response shows, for the tags' `kind`: a deploy that
    changes the fields changes every tag, so no client keeps a body of the old shape."""
    model: type[Model] = serializer_class.Meta.model  # type: ignore[attr-defined]
    return f"{model._meta.label}:{','.join(serializer_class().fields)}"


class PrivateCacheMixin(APIView):
    """Every response `Cache-Control: private, no-cache`, varying on the credentials."""

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        mark_private(response)
        return response


def _format(request: Request) -> str:
    renderer = getattr(request, "accepted_renderer", None)
    return str(getattr(renderer, "format", ""))


def conditional_read(request: Request, data: Any) -> Response:
    """A read of a representation with no version: its tag is a digest of `data` (and the
    negotiated format), and If-None-Match/If-Match are evaluated against it."""
    etag = data_etag((_format(request), data))
    outcome = Preconditions.from_meta(request.META).evaluate(etag, safe=True)
    if outcome is Outcome.NOT_MODIFIED:
        return not_modified(etag)
    if outcome is Outcome.FAILED:
        raise PreconditionFailed(etag)
    return Response(data, headers={"ETag": str(etag)})


class GenericViewSet(viewsets.GenericViewSet[Any]):
    """DRF's GenericViewSet, whose routes are built without loading the OpenAPI generator."""

    @classmethod
    def get_extra_actions(cls) -> list[Callable[..., HttpResponseBase]]:
        # DRF's version reads every attribute with getattr, `schema` too, whose descriptor
        # imports DEFAULT_SCHEMA_CLASS, i.e. drf-spectacular's generator (with DRF's test
        # client, django.test and unittest), when a router builds the URLconf at a
        # Lambda's init. The @action methods are plain functions: find them statically, in
        # the classes' own dicts along the MRO (the first definition of a name wins), as
        # inspect.getmembers_static would, in its order (by name) but without its
        # per-attribute MRO walks (~1% of the instructions to a cold start's first response).
        seen: set[str] = set()
        actions = []
        for klass in cls.__mro__:
            for name, attribute in vars(klass).items():
                if name in seen:
                    continue
                seen.add(name)
                if isinstance(getattr(attribute, "mapping", None), MethodMapper):
                    assert attribute.__name__ == name, f"@action {name} must keep its name"  # noqa: S101
                    actions.append(attribute)
        return sorted(actions, key=lambda action: str(action.__name__))


class ConditionalMixin(PrivateCacheMixin, GenericViewSet):
    """For a GenericViewSet over a model with an integer `version` bumped on every write;
    the actions come from the mixins below, so a view only gains the routes it mixes in.

    - reads (retrieve, list) send a strong ETag; If-None-Match matching it is a 304 with
      no body (the serializer never runs), and If-Match not matching it a 412;
    - update, partial_update and destroy evaluate If-Match/If-None-Match before the body
      is read (412 with the current ETag) and pin the write to the version evaluated:
      `perform_update`/`perform_destroy` pass `self.expected_version` to a service that
      writes only `WHERE version = n` and raises StaleVersionError otherwise (412);
    - with CONDITIONAL_REQUESTS["REQUIRE_IF_MATCH"] those writes need If-Match (428);
    - every response is private (PrivateCacheMixin).
    """

    expected_version: int | None = None
    # The methods whose responses carry an ETag and that honour If-Match/If-None-Match
    # (read by the OpenAPI schema).
    etag_methods: frozenset[str] = frozenset({"GET", "PUT", "PATCH", "DELETE"})

    def etag_kind(self) -> str:
        # The negotiated format too: the browsable API's HTML is another representation,
        # and a strong tag names exactly one.
        serializer_class = cast(type[Serializer[Any]], self.get_serializer_class())
        return f"{representation(serializer_class)};{_format(self.request)}"

    def object_etag(self, instance: Any, version: int | None = None) -> EntityTag:
        current = instance.version if version is None else version
        return object_etag(kind=self.etag_kind(), pk=instance.pk, version=current)

    def preconditions(self) -> Preconditions:
        return Preconditions.from_meta(self.request.META)

    def _read_precondition(self, etag: EntityTag) -> Response | None:
        outcome = self.preconditions().evaluate(etag, safe=True)
        if outcome is Outcome.NOT_MODIFIED:
            return not_modified(etag)
        if outcome is Outcome.FAILED:
            raise PreconditionFailed(etag)
        return None

    def _writable_object(self) -> Any:
        """The object, once the request's preconditions hold for it (checked before the
        body is read, as RFC 9110 §13.2.1 orders it)."""
        instance = self.get_object()
        preconditions = self.preconditions()
        if preconditions.if_match is None and conditional_settings().REQUIRE_IF_MATCH:
            raise PreconditionRequired()
        etag = self.object_etag(instance)
        if preconditions.evaluate(etag, safe=False) is not Outcome.PROCEED:
            raise PreconditionFailed(etag)
        self.expected_version = instance.version if preconditions.pins_version else None
        return instance

    def _written(self, write: Callable[[], None], instance: Any) -> None:
        try:
            write()
        except StaleVersionError as stale:
            # Another write got there between our read and our UPDATE: nothing was written.
            raise PreconditionFailed(self.object_etag(instance, stale.current_version)) from None


class ConditionalRetrieveMixin(ConditionalMixin):
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()
        etag = self.object_etag(instance)
        if (early := self._read_precondition(etag)) is not None:
            return early
        data = self.get_serializer(instance).data
        return Response(data, headers={"ETag": str(etag)})


class ConditionalListMixin(ConditionalMixin):
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = list(queryset) if page is None else page
        count = len(rows) if page is None else self.paginator.page.paginator.count  # type: ignore[union-attr]
        etag = page_etag(
            kind=self.etag_kind(), count=count, rows=((row.pk, row.version) for row in rows)
        )
        if (early := self._read_precondition(etag)) is not None:
            return early
        data = self.get_serializer(rows, many=True).data
        response = Response(data) if page is None else self.get_paginated_response(data)
        response["ETag"] = str(etag)
        return response


class ConditionalUpdateMixin(ConditionalMixin):
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.pop("partial", False)
        instance = self._writable_object()
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        self._written(lambda: self.perform_update(serializer), instance)
        updated = serializer.instance
        return Response(serializer.data, headers={"ETag": str(self.object_etag(updated))})

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        """Override to call a service with `expected_version=self.expected_version`."""
        serializer.save()

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)


class ConditionalDestroyMixin(ConditionalMixin):
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self._writable_object()
        self._written(lambda: self.perform_destroy(instance), instance)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def perform_destroy(self, instance: Any) -> None:
        """Override to call a service with `expected_version=self.expected_version`."""
        instance.delete()
