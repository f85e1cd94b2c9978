"""AWS Lambda entry points: `handler` (HTTP), `manage` (direct invoke), `process_photos` (S3),
`authorize_api_key` (the API's optional Lambda authorizer), `websocket` (the WebSocket API).

Configure the HTTP function's handler as `lambda_runtime.handler.handler`, a
second function, with no HTTP trigger, as `lambda_runtime.handler.manage`, the
photo-processing function (S3 `ObjectCreated` on the upload prefix, and a schedule) as
`lambda_runtime.handler.process_photos`, the optional key authorizer (REQUEST type,
payload 2.0, simple responses) as `lambda_runtime.handler.authorize_api_key`, and the
WebSocket API's function (its routes, handed-off fan-outs and a schedule) as
`lambda_runtime.handler.websocket`. The
module body is Lambda's init phase, once per container (captured in the snapshot with
SnapStart): settings, `django.setup()`, the middleware chain and the URLconf. An init on
demand (AWS_LAMBDA_INITIALIZATION_TYPE), which the first request waits for, leaves what
API requests do not use to its first use: the URLconf's reverse index, WhiteNoise's
index of the static files (apps.common.staticfiles), the apps' admin modules and each app's
URLconf with its views (apps.common.deferral: the admin's with its first use, an app's with
the first request for one of its paths). A Lambda init whose databases are all
SQLite does not import the PostgreSQL driver (lambda_runtime.drivers).
"""

from __future__ import annotations

import gc
import os
from typing import Any

# Init creates ~150,000 long-lived objects (modules, classes, URL patterns); garbage
# collection while importing them finds nothing to free and slows a cold start by ~20%.
# Paused before Django's own imports, resumed (and the result frozen) at the end of init.
gc.disable()

from django.core.wsgi import get_wsgi_application  # noqa: E402 (after gc.disable())
from django.urls import get_resolver, reverse  # noqa: E402

from lambda_runtime.drivers import leave_out_unused_postgresql_driver  # noqa: E402
from lambda_runtime.lazy import import_lazily  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gatewayproject.settings.production")

# DRF imports PyYAML and uritemplate at start-up whenever they are installed
# (rest_framework.compat), but only the OpenAPI document uses them (drf-spectacular needs
# both): running PyYAML's modules (its resolver compiles dozens of patterns) was ~4% of the
# instructions to the first keyed response.
for _name in ("yaml", "uritemplate"):
    import_lazily(_name)

# On demand, init is on the first request's path: what that request does not use waits.
_ON_DEMAND = os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") == "on-demand"

try:
    # On SQLite, no psycopg (which DRF would import for PostgreSQL-only model fields). It
    # reads the settings, which import much of Django: inside the collector's pause too.
    leave_out_unused_postgresql_driver()
    if _ON_DEMAND:
        from apps.common import deferral

        deferral.defer()
    # django.setup() and the WSGI handler with its middleware chain.
    application = get_wsgi_application()
    # The URLconf (views, serializers, DRF) now rather than in the first request. Its reverse
    # index (every route's pattern compiled, the admin's too) only where init is not on a
    # request's path (SnapStart, provisioned concurrency): on demand, the first reverse()
    # builds it, which reads never make (~1.4% of the instructions to a first response).
    if _ON_DEMAND:
        get_resolver().url_patterns  # noqa: B018 (imports the URLconf, not the apps' views)
    else:
        reverse("health")

    from lambda_runtime.adapter import LambdaWSGIAdapter

    _adapter = LambdaWSGIAdapter(application)
finally:
    gc.enable()
# Move what init built out of the collector's view: requests never rescan it.
gc.freeze()


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """HTTP API (payload 2.0 and 1.0), REST API, ALB and Function URL requests."""
    return _adapter(event, context)


def manage(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """`{"command": "migrate", "args": ["--plan"]}` → `{"command", "args", "exit_code",
    "ok", "output"}`; only allow-listed commands (see lambda_runtime.commands)."""
    # Imported here: the HTTP function's cold start does not pay for the command machinery.
    from lambda_runtime import commands as lambda_manage

    return lambda_manage.run(event, context)


def process_photos(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """S3 `ObjectCreated` events on the upload prefix: process each uploaded photo once
    (replays do nothing); the EventBridge schedule: sweep expired uploads and abandoned
    processing; anything else is logged and ignored. See apps.photos.triggers."""
    # Imported here: boto3 and Pillow load only in the function that needs them.
    from apps.photos.triggers import dispatch

    return dispatch(event, context)


def authorize_api_key(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """An HTTP API REQUEST authorizer (payload 2.0, simple responses) for `x-api-key`:
    `{"isAuthorized": bool, "context": {key, owner, plan}}`. See apps.api_keys.authorizer."""
    from lambda_runtime.authorizer import authorize

    return authorize(event, context)


def websocket(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """WebSocket API routes ($connect, $default and the custom routes, $disconnect);
    asynchronous fan-outs handed off by other functions; the EventBridge schedule: sweep
    connections; anything else is logged and ignored. See apps.realtime.invocations."""
    from apps.realtime.invocations import dispatch

    return dispatch(event, context)
