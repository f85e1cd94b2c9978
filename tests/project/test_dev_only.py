"""Development tools stay out of production: the settings name none, and start without them."""

from __future__ import annotations

import ast
import json
import os
import secrets
import subprocess
import sys
from importlib.metadata import packages_distributions
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement

from tests.lambda_runtime import events
from tests.project.dev_only import (
    ROOT,
    canonical,
    dev_only_distributions,
    dev_only_modules,
    dev_requirements,
)

# What the local API Gateway is built on; each must be development-only.
GATEWAY_STACK = {
    "localgateway",
    "anyio",
    "uvicorn",
    "httpx",
    "cfnlint",
    "samtranslator",
    "websockets",
    "jwt",
}

# Imports of the dev-only modules fail, as if the `dev` extra were not installed; then
# Lambda's init phase runs (production settings, django.setup(), the URLconf) and the
# handler answers /health.
PRODUCTION_WITHOUT_DEV = """
import importlib.abc, importlib.util, json, sys
blocked = frozenset(json.loads(sys.argv[2]))

class NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in blocked:
            raise ModuleNotFoundError(f"No module named {name!r} (dev extra absent)", name=name)
        return None

sys.meta_path.insert(0, NotInstalled())
sys.path.insert(0, sys.argv[1])
try:
    import anyio
    blocker = "anyio imported"
except ModuleNotFoundError:
    blocker = "works"

from lambda_runtime import handler as lambda_handler
from django.conf import settings

health = lambda_handler.handler(json.loads(sys.argv[3]), None)
named = sorted(
    name for name in dir(settings)
    if name.isupper() and "localgateway" in repr(getattr(settings, name))
)
print(json.dumps({
    "blocker": blocker,
    "settings": settings.SETTINGS_MODULE,
    "installed_apps": list(settings.INSTALLED_APPS),
    "named": named,
    "health": health["statusCode"],
    "dev_modules_loaded": sorted({m.partition(".")[0] for m in sys.modules} & blocked),
}))
"""


def imported_modules(package: Path) -> set[str]:
    """Top-level names of the modules that `package`'s source imports (absolute imports)."""
    names = set()
    for source in package.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.partition(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.partition(".")[0])
    return names


def test_the_dev_only_set_holds_the_gateway_stack_and_nothing_the_app_runs_on() -> None:
    modules = dev_only_modules()

    assert modules >= GATEWAY_STACK | {"pytest", "moto", "tests"}
    assert not modules & {"django", "rest_framework", "mangum", "psycopg", "PIL", "yaml"}
    assert "gunicorn" not in modules  # the container extra is production too


def test_localgateway_imports_only_what_the_dev_extra_declares() -> None:
    declared = {canonical(Requirement(line).name) for line in dev_requirements()}
    distributions = packages_distributions()
    third_party = imported_modules(ROOT / "localgateway") - set(sys.stdlib_module_names)
    # Django: the app's framework; apps: the app itself (the REST API variant enforces the
    # admin's keys and usage plans); jsonschema: a runtime dependency already (through
    # drf-spectacular), which the REST API's request validators use as API Gateway does.
    third_party -= {"__future__", "localgateway", "django", "apps", "jsonschema"}

    assert third_party == {
        "anyio",
        "cryptography",
        "httpx",
        "jwt",
        "samtranslator",
        "uvicorn",
        "websockets",
    }
    for module in third_party:
        dists = {canonical(d) for d in distributions[module]}
        assert dists & declared, f"{module} is used by localgateway but not in the dev extra"
        assert dists <= dev_only_distributions(), f"{module} is a runtime dependency too"


def test_the_app_never_imports_localgateway() -> None:
    for package in ("apps", "gatewayproject", "lambda_runtime"):
        assert "localgateway" not in imported_modules(ROOT / package), package


def test_production_settings_start_without_the_dev_extra(tmp_path: Path) -> None:
    host = "api.example.com"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "gatewayproject.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_ALLOWED_HOSTS": host,
    }
    health = events.http_api(path="/health", host=host)
    blocked = sorted(dev_only_modules())

    result = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-I",  # no PYTHON* variables, no current directory on sys.path
            "-c",
            PRODUCTION_WITHOUT_DEV,
            str(ROOT),
            json.dumps(blocked),
            json.dumps(health),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout.splitlines()[-1])
    assert report["blocker"] == "works"
    assert report["settings"] == "gatewayproject.settings.production"
    assert "localgateway" not in report["installed_apps"]
    assert report["named"] == []
    assert report["health"] == 200
    assert report["dev_modules_loaded"] == []
