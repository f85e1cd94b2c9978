"""Run in a fresh interpreter by test_handler.py: a Lambda container's life, observed.

`python -m tests.lambda_runtime.probe setup [N]` migrates the database (through the `manage`
entry point) and creates a user and a pet (N pets), printing the pet's id and the auth headers that
tests/conftest.py's `auth_headers` fixture gives for that user. `... serve EVENT_JSON`
imports the handler (init), serves the event N times, and prints what it saw as JSON;
log lines go to stderr, after a marker line written just before the first request.
`... imports EVENT_JSON DOCUMENT_EVENT_JSON` reports which of the OpenAPI generator's modules
are loaded after init, after the event and after the document's event, and which modules
the event does not use (UNUSED_MODULES) are loaded after it, and which of the project's
classes loaded by then are dataclasses.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MARKER = "--- first request ---"
ROOT = Path(__file__).resolve().parents[2]
HOST = "aaaaaaaaaa.execute-api.us-west-2.amazonaws.com"


def container_env(tmp: Path) -> dict[str, str]:
    """A production-configured Lambda container's environment over a database in `tmp` (no
    DJANGO_SETTINGS_MODULE: the handler must default to production settings)."""
    (tmp / "static").mkdir(exist_ok=True)
    return {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DJANGO_STATIC_ROOT": str(tmp / "static"),
    }


def run(module: str, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`python -m <module> *args` in a fresh interpreter: this process's environment without
    its Django, database and Lambda-init settings, then `env`."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_")) and k != "AWS_LAMBDA_INITIALIZATION_TYPE"
    }
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


# What only the OpenAPI document needs: drf-spectacular's generator and views, the project's
# schema module, through drf-spectacular's plumbing DRF's test client, django.test and
# unittest, and the code of PyYAML and uritemplate (DRF imports both, lambda_runtime.lazy).
GENERATOR_MODULES = (
    "apps.common.schema",
    "django.test",
    "drf_spectacular.generators",
    "drf_spectacular.openapi",
    "drf_spectacular.plumbing",
    "drf_spectacular.views",
    "rest_framework.test",
    "unittest",
    "uritemplate.api",
    "yaml.resolver",
)

# What neither init nor a first keyed `GET /v1/pets/{id}` uses, and so must not load:
# django_stubs_ext's monkeypatch and what it imports (the settings patch the one admin class
# they subscript); the admin usage page's reads (its first request imports them);
# drf-spectacular's annotations (apps.photos.schema applies them with the generator).
UNUSED_MODULES = (
    "apps.api_keys.usage_overview",
    "drf_spectacular.drainage",
    "drf_spectacular.utils",
    "django.contrib.sitemaps",
    "django.contrib.syndication",
    "django.utils.feedgenerator",
    "django_stubs_ext",
    "xml.sax",
)


@dataclass
class Context:
    aws_request_id: str = "0c3e7b9a-4d7f-4b49-9a6a-probe0000001"


def setup(pets: int = 1) -> dict[str, Any]:
    from lambda_runtime.handler import manage

    migrated = manage({"command": "migrate"}, Context())
    if not migrated["ok"]:
        raise SystemExit(migrated["output"])
    from tests.conftest import auth_headers
    from tests.factories import PetFactory, UserFactory

    user = UserFactory(username="probe")
    for _ in range(pets - 1):  # A page for list benchmarks (benchmarks/bench_lambda.py).
        PetFactory(owner=user)
    pet = PetFactory(owner=user, name="Probe")
    # The fixture's function (pytest keeps it as __wrapped__): the one place that knows
    # how /v1 authenticates.
    headers = auth_headers.__wrapped__(None)(user)
    return {"pet_id": pet.pk, "headers": headers}


def serve(event: dict[str, Any], times: int) -> dict[str, Any]:
    import django
    from django.apps import apps
    from django.db import connection
    from django.db.backends.signals import connection_created
    from django.urls import get_resolver

    collections: list[int] = []

    def count(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    gc.callbacks.append(count)
    from lambda_runtime.handler import handler

    gc.callbacks.remove(count)
    report: dict[str, Any] = {
        "collections_during_init": len(collections),
        "apps_ready_at_init": apps.ready,
        "urlconf_loaded_at_init": "gatewayproject.urls" in sys.modules,
        "app_views_at_init": "apps.pets.views" in sys.modules,
        "reverse_index_at_init": get_resolver()._populated,
    }
    setup_calls, connects = [], []
    django.setup = lambda *args, **kwargs: setup_calls.append(1)  # type: ignore[assignment]
    connection_created.connect(lambda **kwargs: connects.append(1), weak=False)
    print(MARKER, file=sys.stderr, flush=True)
    results, open_after = [], []
    for _ in range(times):
        results.append(handler(json.loads(json.dumps(event)), Context()))
        open_after.append(connection.connection is not None)
    return report | {
        "statuses": [r["statusCode"] for r in results],
        "bodies": [r["body"] for r in results],
        "connections_opened": len(connects),
        "connection_open_after": open_after,
        "setup_calls_while_serving": len(setup_calls),
        "reverse_index_after": get_resolver()._populated,
        "boto3_imported": "boto3" in sys.modules or "botocore" in sys.modules,
        # None in sys.modules: left out (lambda_runtime.drivers).
        "postgresql_driver_imported": sys.modules.get("psycopg") is not None,
    }


def project_dataclasses() -> list[str]:
    """The dataclasses defined by the project's loaded modules: each compiled its methods
    when its module was imported."""
    found = []
    for name, module in list(sys.modules.items()):
        if module is None or name.split(".")[0] not in ("apps", "gatewayproject", "lambda_runtime"):
            continue
        found += [
            f"{name}.{value.__qualname__}"
            for value in vars(module).values()
            if isinstance(value, type)
            and value.__module__ == name
            and dataclasses.is_dataclass(value)
        ]
    return sorted(found)


def imports(event: dict[str, Any], document_event: dict[str, Any]) -> dict[str, Any]:
    from lambda_runtime.handler import handler

    def loaded() -> list[str]:
        return [name for name in GENERATOR_MODULES if name in sys.modules]

    report: dict[str, Any] = {"init": loaded()}
    report["status"] = handler(event, Context())["statusCode"]
    report["first_request"] = loaded()
    report["unused"] = [name for name in UNUSED_MODULES if name in sys.modules]
    report["dataclasses"] = project_dataclasses()
    report["document_status"] = handler(document_event, Context())["statusCode"]
    report["document"] = loaded()
    return report


def main() -> None:
    if sys.argv[1] == "setup":
        print(json.dumps(setup(*map(int, sys.argv[2:3]))))
    elif sys.argv[1] == "imports":
        print(json.dumps(imports(json.loads(sys.argv[2]), json.loads(sys.argv[3]))))
    else:
        print(json.dumps(serve(json.loads(sys.argv[2]), int(sys.argv[3]))))


if __name__ == "__main__":
    main()
