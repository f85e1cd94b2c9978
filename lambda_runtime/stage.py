"""API Gateway stage prefix: stripped from the path for routing, kept in every generated URL.

With a named stage, clients call `https://{api}.execute-api.{region}.amazonaws.com/prod/v1/pets`.
HTTP APIs put the stage in `rawPath` (`/prod/v1/pets`); REST APIs leave it out of `path` but
the client still sent it. Either way the prefix goes to SCRIPT_NAME, so Django routes on
`/v1/pets` and `reverse()`, `build_absolute_uri()`, pagination links, the OpenAPI `servers`
and admin redirects all include `/prod`. `$default` stages and custom domains have no prefix.
See https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-stages.html
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Literal, NamedTuple

from django.core.exceptions import ImproperlyConfigured

AUTO = "auto"
OFF = "off"

# Default endpoints (regional, edge and private-VPC-endpoint ones), and loopback hosts,
# where `manage.py rungateway` emulates a default endpoint; anything else is a custom
# domain, where the stage is not part of the URL the client used.
_EXECUTE_API_HOST = re.compile(
    r"\.execute-api\.[a-z0-9-]+(\.vpce)?\.amazonaws\.com(\.cn)?(:[0-9]+)?$"
    r"|^(localhost|127\.[0-9]+\.[0-9]+\.[0-9]+)(:[0-9]+)?$",
    re.IGNORECASE,
)
_PREFIX = re.compile(r"^(/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)+$")


class StagePrefix(NamedTuple):
    """How to split a request path: `auto` (from the event), `off`, or a fixed prefix."""

    mode: Literal["auto", "off", "fixed"]
    prefix: str = ""

    def split(self, event: dict[str, Any], host: str, path: str) -> tuple[str, str]:
        """(SCRIPT_NAME, PATH_INFO) for `path` (already a WSGI string)."""
        if self.mode == "off":
            return "", path
        if self.mode == "fixed":
            return self.prefix, _strip(path, self.prefix)
        prefix = _auto_prefix(event, host)
        if not prefix:
            return "", path
        # HTTP APIs (events with "version") include the stage in the path; REST APIs do not,
        # and a REST route may legitimately start with a segment named like the stage.
        return prefix, _strip(path, prefix) if "version" in event else path


@lru_cache(maxsize=16)
def stage_prefix(setting: str, force_script_name: str | None) -> StagePrefix:
    """Parse API_GATEWAY_STAGE_PREFIX, reconciled with FORCE_SCRIPT_NAME (DJANGO_SCRIPT_NAME).

    FORCE_SCRIPT_NAME is a fixed prefix that Django puts in every URL whatever the request
    says, so in Lambda it is also the prefix to strip: `auto` then means "that prefix".
    """
    value = setting.strip() or AUTO  # An empty variable counts as unset.
    if value.lower() == OFF:
        if force_script_name:
            raise ImproperlyConfigured(
                "API_GATEWAY_STAGE_PREFIX=off contradicts DJANGO_SCRIPT_NAME="
                f"{force_script_name!r}; unset one of them."
            )
        return StagePrefix("off")
    if value.lower() == AUTO:
        if force_script_name:
            return StagePrefix("fixed", _validated(force_script_name, "DJANGO_SCRIPT_NAME"))
        return StagePrefix("auto")
    prefix = _validated(value, "API_GATEWAY_STAGE_PREFIX")
    if force_script_name and force_script_name != prefix:
        raise ImproperlyConfigured(
            f"API_GATEWAY_STAGE_PREFIX={prefix!r} and DJANGO_SCRIPT_NAME={force_script_name!r} "
            "disagree; set only one of them."
        )
    return StagePrefix("fixed", prefix)


def _validated(prefix: str, name: str) -> str:
    if not _PREFIX.match(prefix):
        raise ImproperlyConfigured(
            f"{name} must be 'auto', 'off' or a path prefix such as '/prod' "
            f"(leading slash, no trailing slash), not {prefix!r}."
        )
    return prefix


def _auto_prefix(event: dict[str, Any], host: str) -> str:
    stage = (event.get("requestContext") or {}).get("stage")
    if not isinstance(stage, str) or stage in ("", "$default"):
        return ""
    if not _is_default_endpoint(host):
        return ""  # A custom domain: its API mapping hides the stage from the client.
    return f"/{stage}"


@lru_cache(maxsize=64)  # A function serves a few hosts; the regex scans the whole name.
def _is_default_endpoint(host: str) -> bool:
    return _EXECUTE_API_HOST.search(host) is not None


def _strip(path: str, prefix: str) -> str:
    if path == prefix:
        return "/"
    if path.startswith(prefix) and path[len(prefix)] == "/":
        return path[len(prefix) :]
    return path
