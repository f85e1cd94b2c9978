"""`manage.py rungateway [ADDR:PORT]`: serve the app through an emulated API Gateway HTTP API,
and the template's WebSocket API (with its @connections Management API) on the same port."""

from __future__ import annotations

import logging
import os
import sys
from argparse import ArgumentParser
from dataclasses import replace
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import get_script_prefix

from localgateway import local_issuer
from localgateway.authorizers import JwtAuthorizer, LambdaAuthorizer, RouteAuth
from localgateway.rest.model import RestSpec
from localgateway.spec import ApiSpec, TemplateError, load_spec
from localgateway.websocket.spec import (
    IDLE_TIMEOUT_S,
    MAX_DURATION_S,
    WebSocketSpec,
    load_websocket_spec,
)

DEFAULT_ADDR = "127.0.0.1"
DEFAULT_PORT = 3000
# Large enough that the gateway, not the HTTP parser, answers oversized headers.
MAX_INCOMPLETE_EVENT = 1024 * 1024


class Command(BaseCommand):
    help = (
        "Run the local API Gateway: each HTTP request becomes the payload-2.0 event a real "
        "HTTP API sends, is handled by the Lambda handler from infra/template.yaml, and "
        "goes back through the gateway's CORS, limits and error rules."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "addrport",
            nargs="?",
            default=f"{DEFAULT_ADDR}:{DEFAULT_PORT}",
            help="Address and port (default 127.0.0.1:3000).",
        )
        parser.add_argument(
            "--template",
            default=str(Path(settings.BASE_DIR) / "infra" / "template.yaml"),
            help="SAM template to read (default infra/template.yaml).",
        )
        parser.add_argument(
            "--api",
            help="Logical id of the API to serve: an AWS::Serverless::HttpApi, or a REST API "
            "(AWS::Serverless::Api, AWS::ApiGateway::RestApi), e.g. RestApi. Default: the "
            "one the template deploys with these parameters (an HTTP API if it has both).",
        )
        parser.add_argument(
            "--stage",
            help="Stage to serve: a name (served under /NAME) or $default "
            "(served under /). Default: the template's StageName.",
        )
        parser.add_argument(
            "--parameter",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="Template parameter value (repeatable).",
        )
        parser.add_argument(
            "--upstream",
            help="Private-integration mode: proxy to this HTTP server "
            "(e.g. http://127.0.0.1:8001) as the VPC link does.",
        )
        parser.add_argument(
            "--isolate",
            type=int,
            default=0,
            metavar="N",
            help="Run the handler in up to N worker processes, like separate Lambda "
            "instances (default: threads in this process).",
        )
        parser.add_argument(
            "--concurrency",
            type=int,
            default=10,
            help="Requests handled at once in thread mode (default 10).",
        )
        parser.add_argument(
            "--handler", help="Override the template's Lambda handler (dotted path)."
        )
        parser.add_argument(
            "--timeout", type=float, help="Override the integration timeout (seconds)."
        )
        parser.add_argument(
            "--jwt-issuer",
            metavar="URL",
            help="Turn the template's JWT authorizer on with this issuer (any OIDC issuer, "
            "e.g. a Cognito pool https://cognito-idp.REGION.amazonaws.com/POOL_ID, whose "
            "JWKS is fetched), or 'local': the local issuer of manage.py issue_token, "
            "served by this gateway at /local-issuer.",
        )
        parser.add_argument(
            "--jwt-audience",
            action="append",
            default=None,
            metavar="AUD",
            help="Audience (or Cognito app client id) the JWT authorizer accepts; repeatable. "
            f"Default with --jwt-issuer local: {local_issuer.DEFAULT_AUDIENCE!r}.",
        )
        parser.add_argument(
            "--storage-path",
            action="append",
            default=None,
            metavar="PATH",
            help="A path served straight by the app, outside the gateway, as object storage "
            "is reached (default: the local presigned-upload endpoint, S3's stand-in).",
        )
        parser.add_argument(
            "--ws-idle-timeout",
            type=float,
            default=IDLE_TIMEOUT_S,
            metavar="SECONDS",
            help="Close WebSocket connections idle this long (API Gateway: 600).",
        )
        parser.add_argument(
            "--ws-max-duration",
            type=float,
            default=MAX_DURATION_S,
            metavar="SECONDS",
            help="Close WebSocket connections after this long (API Gateway: 7200).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        import uvicorn  # only the gateway needs it; keep it off other code paths

        from localgateway.rest.command import rest_spec as read_rest_spec
        from localgateway.rest.command import serves_rest
        from localgateway.websocket.protocol import UVICORN_OPTIONS

        host, port = _addrport(options["addrport"])
        _lambda_environment()
        options["jwt_issuer_url"] = _issuer_url(options["jwt_issuer"], host, port)
        template = Path(options["template"])
        parameters = dict(_key_value(item) for item in options["parameter"])
        options["rest"] = serves_rest(template, api=options["api"], parameters=parameters)
        if options["rest"]:
            rest_spec = read_rest_spec(template, options, parameters)
            websocket_spec = self._websocket_spec(options)
            app = self._rest_app(rest_spec, options, websocket_spec)
            spec: ApiSpec = app.spec
        else:
            spec = self._spec(options)
            websocket_spec = None if options["upstream"] else self._websocket_spec(options)
            app = self._app(spec, options, websocket_spec)
        self._banner(spec, host, port, options, websocket_spec)
        _configure_access_log()
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            lifespan="on",
            access_log=False,
            log_level="warning",
            h11_max_incomplete_event_size=MAX_INCOMPLETE_EVENT,
            timeout_graceful_shutdown=5,
            **UVICORN_OPTIONS,
        )
        uvicorn.Server(config).run()

    def _spec(self, options: dict[str, Any]) -> ApiSpec:
        parameters = dict(_key_value(item) for item in options["parameter"])
        issuer, audiences = options.get("jwt_issuer_url"), _audiences(options)
        if issuer:
            # As deploying with these parameters would: the template's JwtEnabled turns on.
            parameters["JwtIssuer"] = issuer
            parameters["JwtAudience"] = ",".join(audiences)
        try:
            spec = load_spec(
                Path(options["template"]),
                stage=options["stage"],
                api=options["api"],
                parameters=parameters,
                variant="container" if options["upstream"] else "lambda",
            )
        except TemplateError as exc:
            raise CommandError(str(exc)) from exc
        old_format = [
            r.key for r in spec.routes if r.integration == "lambda" and r.payload_format != "2.0"
        ]
        if old_format:
            raise CommandError(
                f"routes {old_format} use payload format 1.0; rungateway builds 2.0 events only"
            )
        if issuer:
            spec = with_jwt_issuer(spec, issuer, audiences)
        unresolved = sorted(
            {
                auth.authorizer.issuer
                for auth in spec.authorization.values()
                if isinstance(auth.authorizer, JwtAuthorizer) and "${" in auth.authorizer.issuer
            }
        )
        if unresolved:
            raise CommandError(
                f"the JWT authorizer's issuer {unresolved[0]} is only known once deployed; "
                "pass --jwt-issuer (a deployed pool's issuer URL, or local)"
            )
        return spec

    def _rest_app(
        self, spec: RestSpec, options: dict[str, Any], websocket_spec: WebSocketSpec | None
    ) -> Any:
        from localgateway.rest.command import gateway_metering, handler_of
        from localgateway.rest.server import RestGatewayApp

        handler = handler_of(spec, options["handler"])
        gateway_metering()
        return RestGatewayApp(
            spec,
            invoker=self._invoker(handler, options),
            timeout_override=options["timeout"],
            storage=_storage(options["storage_path"]),
            websocket=self._websocket(websocket_spec, options),
        )

    def _websocket(self, spec: WebSocketSpec | None, options: dict[str, Any]) -> Any:
        from localgateway.websocket.server import WebSocketApi

        if spec is None:
            return None
        return WebSocketApi(
            spec,
            self._invoker(next(iter(spec.handlers)), options),
            idle_timeout=options["ws_idle_timeout"],
            max_duration=options["ws_max_duration"],
        )

    def _websocket_spec(self, options: dict[str, Any]) -> WebSocketSpec | None:
        parameters = dict(_key_value(item) for item in options["parameter"])
        try:
            spec = load_websocket_spec(
                Path(options["template"]), parameters=parameters, stage=options["stage"]
            )
        except TemplateError as exc:
            raise CommandError(str(exc)) from exc
        if spec is not None and len(spec.handlers) != 1:
            raise CommandError(f"WebSocket routes use several handlers {sorted(spec.handlers)}")
        return spec

    def _invoker(self, handler: str, options: dict[str, Any]) -> Any:
        from localgateway.integrations import ProcessInvoker, ThreadInvoker

        if options["isolate"]:
            return ProcessInvoker(handler, options["isolate"])
        try:
            return ThreadInvoker(handler, options["concurrency"])
        except ImportError as exc:
            raise CommandError(f"cannot import the handler {handler}: {exc}") from exc

    def _app(
        self, spec: ApiSpec, options: dict[str, Any], websocket_spec: WebSocketSpec | None
    ) -> Any:
        from localgateway.server import GatewayApp
        from localgateway.upstream import HttpUpstream

        authorization = self._authorization(spec, options)
        if options["upstream"]:
            try:
                upstream = HttpUpstream(options["upstream"])
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            return GatewayApp(
                spec, upstream=upstream, timeout_override=options["timeout"], **authorization
            )
        handlers = {route.handler for route in spec.routes}
        handler = options["handler"] or (handlers.pop() if len(handlers) == 1 else None)
        if not handler:
            raise CommandError(
                f"routes use several handlers {sorted(handlers)}; choose one with --handler"
            )
        websocket = self._websocket(websocket_spec, options)
        return GatewayApp(
            spec,
            invoker=self._invoker(handler, options),
            timeout_override=options["timeout"],
            storage=_storage(options["storage_path"]),
            websocket=websocket,
            **authorization,
        )

    def _authorization(self, spec: ApiSpec, options: dict[str, Any]) -> dict[str, Any]:
        """The Lambda authorizers' functions and the issuers' keys for GatewayApp."""
        from localgateway.integrations import ProcessInvoker, ThreadInvoker
        from localgateway.jwt_auth import KeySets

        invokers: dict[str, Any] = {}
        for auth in spec.authorization.values():
            authorizer = auth.authorizer
            if isinstance(authorizer, LambdaAuthorizer) and authorizer.name not in invokers:
                try:
                    invokers[authorizer.name] = (
                        ProcessInvoker(authorizer.handler, options["isolate"])
                        if options["isolate"]
                        else ThreadInvoker(authorizer.handler, options["concurrency"])
                    )
                except ImportError as exc:
                    raise CommandError(f"cannot import {authorizer.handler}: {exc}") from exc
        local = options["jwt_issuer"] == "local"
        keys = KeySets(
            local_issuer_url=options["jwt_issuer_url"] if local else None,
            local_keys=local_issuer.keys_dir() if local else None,
        )
        return {"authorizer_invokers": invokers, "key_sets": keys}

    def _banner(
        self,
        spec: ApiSpec,
        host: str,
        port: int,
        options: dict[str, Any],
        websocket_spec: WebSocketSpec | None,
    ) -> None:
        base = f"http://{host}:{port}" + ("" if spec.stage == "$default" else f"/{spec.stage}")
        live = ""
        if websocket_spec is not None:
            stage = websocket_spec.stage
            live = (
                f"  Live:   ws://{host}:{port}{'' if stage == '$default' else '/' + stage}"
                " (x-api-key header, or ?ticket= from POST /v1/realtime/tickets)\n"
            )
        kind = "REST API" if options.get("rest") else "HTTP API"
        mode = (
            f"proxying to {options['upstream']}"
            if options["upstream"]
            else (
                f"Lambda handler in {options['isolate']} worker processes"
                if options["isolate"]
                else "Lambda handler in threads"
            )
        )
        self.stdout.write(
            f"Local API Gateway: {kind} {spec.name} (stage {spec.stage}, {mode})\n"
            f"  API:    {base}/v1/pets\n"
            f"  Docs:   {base}/v1/docs\n"
            f"  Admin:  {base}/admin/\n"
            f"  Health: {base}/health\n"
            f"{live}"
            "Get an API key and call the API (in another terminal):\n"
            "  KEY=$(.venv/bin/python manage.py create_api_key --user me --create-user)\n"
            f'  curl -H "x-api-key: $KEY" {base}/v1/pets\n'
            "An admin for /admin/: .venv/bin/python manage.py createsuperuser\n"
        )
        if options["jwt_issuer"] == "local":
            self.stdout.write(
                f"Tokens from the local issuer {options['jwt_issuer_url']}:\n"
                "  TOKEN=$(.venv/bin/python manage.py issue_token --user me --issuer "
                f"{options['jwt_issuer_url']})\n"
                f'  curl -H "Authorization: Bearer $TOKEN" {base}/v1/pets\n'
            )
        self.stdout.write("Quit with CONTROL-C.\n")


def _storage(paths: list[str] | None) -> tuple[tuple[str, ...], Any]:
    """Paths of the local object store (presigned uploads) and the app that serves them.

    With S3 the presigned form goes to the bucket, never through API Gateway; locally the
    app stands in for the bucket, so its endpoint must not get the gateway's 10 MB / 6 MB
    limits either, or a 20 MB upload that works against S3 would fail here.
    """
    from django.core.asgi import get_asgi_application
    from django.urls import NoReverseMatch, reverse

    if paths is None:
        try:
            paths = [reverse("photos:upload-local").removeprefix(get_script_prefix().rstrip("/"))]
        except NoReverseMatch:
            paths = []
    return tuple(p.rstrip("/") for p in paths), get_asgi_application()


def _addrport(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise CommandError(f"{value!r} is not ADDR:PORT or PORT")
    if ":" in host:
        # Mangum reads "host:port" from the Host header by splitting on ":".
        raise CommandError("IPv6 addresses are not supported; use 127.0.0.1 or a host name.")
    return (host or DEFAULT_ADDR).strip("[]"), int(port)


def _key_value(item: str) -> tuple[str, str]:
    key, sep, value = item.partition("=")
    if not sep or not key:
        raise CommandError(f"--parameter needs KEY=VALUE, got {item!r}")
    return key, value


def _lambda_environment() -> None:
    """What Lambda's runtime gives every function: credentials. Dummy ones (nothing here
    reaches AWS) when the machine has none configured, so the handler's boto3 client signs
    its calls to the local @connections API as it signs them to the real one."""
    configured = ("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE")
    if any(name in os.environ for name in configured) or Path("~/.aws").expanduser().exists():
        return
    os.environ["AWS_ACCESS_KEY_ID"] = "local"
    os.environ["AWS_SECRET_ACCESS_KEY"] = "local"  # noqa: S105 (a placeholder, not a secret)


def _configure_access_log() -> None:
    access = logging.getLogger("localgateway.access")
    if not access.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        access.addHandler(handler)
        access.setLevel(logging.INFO)
        access.propagate = False


def _issuer_url(value: str | None, host: str, port: int) -> str | None:
    if value == "local":
        return local_issuer.default_issuer(host, port)
    return value.rstrip("/") if value else None


def _audiences(options: dict[str, Any]) -> list[str]:
    given = options.get("jwt_audience") or []
    if given:
        return list(given)
    return [local_issuer.DEFAULT_AUDIENCE] if options.get("jwt_issuer") == "local" else []


def with_jwt_issuer(spec: ApiSpec, issuer: str, audiences: list[str]) -> ApiSpec:
    """Every JWT authorizer of the spec checking for `issuer` and `audiences` instead."""
    authorization = {}
    for key, auth in spec.authorization.items():
        authorizer = auth.authorizer
        if isinstance(authorizer, JwtAuthorizer):
            authorizer = replace(authorizer, issuer=issuer, audiences=tuple(audiences))
        authorization[key] = RouteAuth(authorizer, auth.scopes)
    return replace(spec, authorization=authorization)
