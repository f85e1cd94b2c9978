"""Settings: local defaults need nothing; production refuses to start without its secrets."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "gatewayproject.settings.production",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DATABASE_URL": "postgres://app@db.internal.example:5432/app",
    "DJANGO_ALLOWED_HOSTS": "api.example.com",
}


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    return subprocess.run(  # noqa: S603
        [sys.executable, *args],
        cwd=ROOT,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DATABASE_URL", "DJANGO_ALLOWED_HOSTS"])
def test_production_refuses_to_start_without(missing: str) -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}

    result = run(["manage.py", "check"], env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"Set the {missing} environment variable" in result.stderr


def test_check_deploy_passes_with_a_realistic_environment() -> None:
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION_ENV)

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_warns_about_a_weak_secret_key() -> None:
    """The check above can fail: a short key is reported."""
    env = PRODUCTION_ENV | {"DJANGO_SECRET_KEY": "short"}

    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)

    assert result.returncode != 0
    assert "security.W009" in result.stderr


def test_production_security_settings() -> None:
    script = (
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.SECURE_PROXY_SSL_HEADER, s.SECURE_HSTS_SECONDS,"
        " s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.ALLOWED_HOSTS)"
    )

    result = run(["-c", script], PRODUCTION_ENV)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "False ('HTTP_X_FORWARDED_PROTO', 'https') 31536000 True True ['api.example.com']"
    )


def test_local_settings_need_no_environment() -> None:
    script = (
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.DATABASES['default']['ENGINE'], s.MEDIA_ROOT)"
    )

    result = run(["-c", script], {"DJANGO_SETTINGS_MODULE": "gatewayproject.settings.local"})

    assert result.returncode == 0, result.stderr
    debug, engine, media = result.stdout.split()
    assert (debug, engine) == ("True", "django.db.backends.sqlite3")
    assert media == str(ROOT / "media")


def test_manage_py_defaults_to_local_settings() -> None:
    result = run(["manage.py", "diffsettings", "--output", "unified"], {})

    assert result.returncode == 0, result.stderr
    assert "+ DEBUG = True" in result.stdout
