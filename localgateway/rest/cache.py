"""The stage's response cache, per method, keyed on the method's cache key parameters.

With `CacheClusterEnabled`, a method caches when its settings say so (by default GET
methods do, for 300 s); entries are keyed on the method and the values of its integration's
`cacheKeyParameters` only, so requests that differ in anything else share one entry.
Whatever the function answered is kept, errors included; a response over 1 MB is not.
`Cache-Control: max-age=0` refetches and replaces an entry, from any client: a method that
requires authorization for cache control (`requireAuthorizationForCacheControl`, set with
update-stage, not CloudFormation; docs/rest-api.md) ignores it here, as no IAM signature is
checked locally.
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-caching.html
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from localgateway.rest.model import RestMethod, RestSpec
from localgateway.results import HttpResponse

DEFAULT_TTL_S = 300
MAX_TTL_S = 3600
MAX_CACHED_BYTES = 1_048_576

CacheKey = tuple[str, tuple[str | None, ...]]


@dataclass(frozen=True)
class Policy:
    ttl: int
    invalidation_allowed: bool


def policy(spec: RestSpec, method: RestMethod) -> Policy | None:
    """How `method` is cached, or None when it is not."""
    if not spec.cache_cluster:
        return None
    setting = spec.setting(method)
    enabled = setting.caching if setting.caching is not None else method.method == "GET"
    ttl = min(setting.cache_ttl if setting.cache_ttl is not None else DEFAULT_TTL_S, MAX_TTL_S)
    if not enabled or ttl <= 0:
        return None
    needs_authorization = setting.cache_control_needs_authorization
    return Policy(ttl, invalidation_allowed=needs_authorization is not True)


def key_for(
    method: RestMethod,
    headers: Mapping[str, str],
    query: Mapping[str, str],
    path_parameters: Mapping[str, str],
) -> CacheKey:
    """`headers` by lower-case name."""
    values: list[str | None] = []
    for parameter in method.cache_key_parameters:
        # method.request.{header,querystring,path}.NAME
        location, _, name = parameter.removeprefix("method.request.").partition(".")
        if location == "header":
            values.append(headers.get(name.lower()))
        elif location == "querystring":
            values.append(query.get(name))
        else:
            values.append(path_parameters.get(name))
    return method.key, tuple(values)


def wants_refresh(headers: Mapping[str, str]) -> bool:
    directives = headers.get("cache-control", "").replace(" ", "").lower().split(",")
    return "max-age=0" in directives


class StageCache:
    """Entries in this process, expiring by the gateway's clock (epoch seconds)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.entries: dict[CacheKey, tuple[float, HttpResponse]] = {}

    def get(self, key: CacheKey) -> HttpResponse | None:
        found = self.entries.get(key)
        if found is None or found[0] <= self.clock():
            self.entries.pop(key, None)
            return None
        return _copy(found[1])

    def put(self, key: CacheKey, response: HttpResponse, ttl: int) -> None:
        if len(response.body) <= MAX_CACHED_BYTES:
            self.entries[key] = (self.clock() + ttl, _copy(response))


def _copy(response: HttpResponse) -> HttpResponse:
    return HttpResponse(response.status, list(response.headers), response.body)
