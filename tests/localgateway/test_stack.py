"""The whole stack through rungateway and infra/template.yaml: the real Lambda handler
behind the emulated HTTP API (stage `prod`), and the container variant (gunicorn with
production settings) behind `--upstream`, as the VPC link reaches it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests import web
from tests.localgateway.test_rungateway import ROOT, free_port
from tests.photos.images import png
from tests.subprocesses import manage_commands, wait_for_http

ORIGIN = "https://app.example.com"  # the template's default CorsAllowedOrigins


@dataclass
class Stack:
    url: str  # the gateway, stage included
    key: str
    env: dict[str, str]


def _env(tmp: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gatewayproject.settings.local",
        "DJANGO_DEBUG": "false",
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "DJANGO_MEDIA_ROOT": str(tmp / "media"),
        "DJANGO_STATIC_ROOT": str(tmp / "static"),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_LOG_LEVEL": "WARNING",
    }


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout


def _wait(url: str, process: subprocess.Popen[bytes]) -> None:
    wait_for_http(url, process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], str]:
    env = _env(tmp_path_factory.mktemp("stack"))
    _, key = manage_commands(
        env,
        ("migrate", "--noinput", "-v0"),
        ("create_api_key", "--user", "stack", "--create-user", "--plan", "Default"),
    )
    return env, key.strip()


@pytest.fixture(scope="module")
def lambda_stack(prepared: tuple[dict[str, str], str]) -> Iterator[Stack]:
    env, key = prepared
    port = free_port()
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "manage.py", "rungateway", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/prod"
    _wait(f"{url}/health", process)
    yield Stack(url, key, env)
    _stop(process)


def test_health_and_docs_through_the_stage(lambda_stack: Stack) -> None:
    assert web.get(f"{lambda_stack.url}/health").json() == {"status": "ok"}
    docs = web.get(f"{lambda_stack.url}/v1/docs")
    assert docs.status_code == 200
    servers = web.get(f"{lambda_stack.url}/v1/openapi.json").json()["servers"]
    assert servers[0]["url"] == lambda_stack.url
    # Every asset the docs page loads is inside the stage, so the gateway serves it.
    origin = lambda_stack.url.removesuffix("/prod")
    assets = re.findall(r'(?:src|href)="(/[^"]+\.(?:css|js|png))"', docs.text)
    assert assets
    assert all(asset.startswith("/prod/static/") for asset in assets), assets
    assert all(web.get(f"{origin}{asset}").status_code == 200 for asset in assets)


def test_pets_crud_with_a_key_and_stage_aware_urls(lambda_stack: Stack) -> None:
    headers = {"x-api-key": lambda_stack.key}
    created = [
        web.post(
            f"{lambda_stack.url}/v1/pets",
            json={"name": f"Rex {n}", "species": "dog"},
            headers=headers,
        )
        for n in range(3)
    ]
    assert [r.status_code for r in created] == [201, 201, 201]
    location = created[0].headers["location"]
    assert location.startswith(f"{lambda_stack.url}/v1/pets/")

    page = web.get(f"{lambda_stack.url}/v1/pets?page_size=2", headers=headers)
    assert page.json()["next"].startswith(f"{lambda_stack.url}/v1/pets?")
    assert page.headers["x-ratelimit-limit"] == "10000"
    assert web.get(location, headers=headers).json()["name"] == "Rex 0"
    assert web.delete(location, headers=headers).status_code == 204
    assert web.get(location, headers=headers).status_code == 404


def test_no_key_is_403_from_the_app(lambda_stack: Stack) -> None:
    response = web.get(f"{lambda_stack.url}/v1/pets")

    assert response.status_code == 403
    assert response.json() == {"message": "Forbidden"}


def test_multipart_photo_upload_arrives_base64_and_is_processed(lambda_stack: Stack) -> None:
    response = web.post(
        f"{lambda_stack.url}/v1/photos",
        headers={"x-api-key": lambda_stack.key},
        files={"file": ("red.png", png((300, 200)), "image/png")},
        data={"caption": "red"},
    )

    assert response.status_code == 201, response.text
    photo = response.json()
    assert (photo["status"], photo["width"], photo["height"]) == ("ready", 300, 200)
    # Inside the stage (Django serves /media/ only with DEBUG on, which this stack is not).
    assert photo["thumbnail_url"].startswith(f"{lambda_stack.url}/media/photos/")


def test_admin_redirect_keeps_the_stage(lambda_stack: Stack) -> None:
    response = web.get(f"{lambda_stack.url}/admin/")

    assert response.status_code == 302
    assert response.headers["location"].startswith("/prod/admin/login/")


def test_cors_from_the_template(lambda_stack: Stack) -> None:
    preflight = web.options(
        f"{lambda_stack.url}/v1/pets",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-api-key,content-type",
        },
    )
    simple = web.get(
        f"{lambda_stack.url}/v1/pets", headers={"Origin": ORIGIN, "x-api-key": lambda_stack.key}
    )

    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    assert simple.headers["access-control-allow-origin"] == ORIGIN
    assert "x-ratelimit-remaining" in simple.headers["access-control-expose-headers"]


def test_routes_the_template_does_not_declare_are_404(lambda_stack: Stack) -> None:
    root = web.get(lambda_stack.url + "/")
    put_outside_v1 = web.put(f"{lambda_stack.url}/health")

    assert (root.status_code, root.json()) == (404, {"message": "Not Found"})
    assert put_outside_v1.status_code == 404


@pytest.fixture(scope="module")
def container_stack(prepared: tuple[dict[str, str], str]) -> Iterator[Stack]:
    """gunicorn with production settings, configured as infra/template.yaml's task is."""
    env, key = prepared
    app_port, gateway_port = free_port(), free_port()
    container_env = {
        **env,
        "DJANGO_SETTINGS_MODULE": "gatewayproject.settings.production",
        "DJANGO_SECRET_KEY": "container-test-" + "x" * 50,
        "DJANGO_SCRIPT_NAME": "/prod",
        "DJANGO_SECURE_PROXY_SSL_HEADER": "X-Gateway-Forwarded-Proto",
        "PORT": str(app_port),
        "WEB_CONCURRENCY": "1",
    }
    _manage(env, "collectstatic", "--noinput", "-v0")  # production serves hashed files only
    app = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "infra/gunicorn.conf.py",
            "gatewayproject.wsgi:application",
        ],
        cwd=ROOT,
        env=container_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    gateway = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "manage.py",
            "rungateway",
            f"127.0.0.1:{gateway_port}",
            "--upstream",
            f"http://127.0.0.1:{app_port}",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(f"http://127.0.0.1:{app_port}/health", app)
        url = f"http://127.0.0.1:{gateway_port}/prod"
        _wait(f"{url}/health", gateway)
        yield Stack(url, key, container_env)
    finally:
        _stop(gateway)
        _stop(app)


def test_container_variant_behind_the_vpc_link(container_stack: Stack) -> None:
    headers = {"x-api-key": container_stack.key}

    health = web.get(f"{container_stack.url}/health")
    created = web.post(
        f"{container_stack.url}/v1/pets", json={"name": "Box", "species": "cat"}, headers=headers
    )

    assert health.json() == {"status": "ok"}
    # No redirect loop: the template's x-gateway-forwarded-proto mapping says https.
    assert created.status_code == 201, created.text
    # The stage was stripped on the way in and put back by DJANGO_SCRIPT_NAME on the way out.
    assert created.headers["location"].startswith("https://127.0.0.1")
    assert "/prod/v1/pets/" in created.headers["location"]
    assert created.headers["apigw-requestid"]


def test_a_20_mb_presigned_upload_goes_around_the_gateway_like_s3(lambda_stack: Stack) -> None:
    import io
    import os as _os

    from PIL import Image

    # Random pixels do not compress: about 20 MB of PNG, over both gateway limits.
    image = Image.frombytes("RGB", (2600, 2600), _os.urandom(2600 * 2600 * 3))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=0)
    data = buffer.getvalue()
    assert len(data) > 20_000_000
    headers = {"x-api-key": lambda_stack.key}

    started = web.post(
        f"{lambda_stack.url}/v1/photos/uploads",
        headers=headers,
        json={"filename": "big.png", "content_type": "image/png", "size": len(data)},
    )
    assert started.status_code == 201, started.text
    upload = started.json()["upload"]
    target = httpx.URL(lambda_stack.url).join(upload["url"])
    posted = web.post(
        target, data=upload["fields"], files={"file": ("big.png", data, "image/png")}, timeout=120
    )
    photo = web.get(
        f"{lambda_stack.url}/v1/photos/{started.json()['photo']['id']}", headers=headers
    ).json()

    assert posted.status_code == 204, posted.text
    assert (photo["status"], photo["width"], photo["height"]) == ("ready", 2600, 2600)
    # Through the gateway itself the same body is refused, as API Gateway would.
    direct = web.post(
        f"{lambda_stack.url}/v1/photos",
        headers=headers,
        files={"file": ("big.png", data, "image/png")},
        timeout=120,
    )
    assert direct.status_code == 413


def _conditional_and_idempotent(stack: Stack) -> None:
    """A 304 with no body, a 412, and a replayed POST: the same through every door."""
    headers = {"x-api-key": stack.key, "Origin": ORIGIN}
    body = {"name": "Once", "species": "cat"}
    keyed = {**headers, "Idempotency-Key": f"stack-{stack.url}"}

    created = web.post(f"{stack.url}/v1/pets", json=body, headers=keyed)
    replayed = web.post(f"{stack.url}/v1/pets", json=body, headers=keyed)
    location = f"{stack.url}/v1/pets/{created.json()['id']}"
    read = web.get(location, headers=headers)
    not_modified = web.get(location, headers={**headers, "If-None-Match": read.headers["etag"]})
    stale = web.patch(location, json={"notes": "x"}, headers={**headers, "If-Match": '"old"'})

    assert (created.status_code, replayed.status_code) == (201, 201), replayed.text
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.json() == created.json()
    assert read.headers["etag"] == created.headers["etag"]
    assert (not_modified.status_code, not_modified.content) == (304, b"")
    assert not_modified.headers["etag"] == read.headers["etag"]
    remaining = int(read.headers["x-ratelimit-remaining"])
    assert int(not_modified.headers["x-ratelimit-remaining"]) == remaining - 1  # metered
    assert (stale.status_code, stale.json()) == (412, {"message": "Precondition Failed"})
    exposed = replayed.headers["access-control-expose-headers"].split(",")
    assert {"etag", "idempotent-replayed", "retry-after", "x-ratelimit-remaining"} <= set(exposed)


def test_conditional_requests_and_idempotency_keys_through_the_gateway(
    lambda_stack: Stack,
) -> None:
    _conditional_and_idempotent(lambda_stack)
    preflight = web.options(
        f"{lambda_stack.url}/v1/pets",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-api-key,idempotency-key,if-match",
        },
    )
    allowed = preflight.headers["access-control-allow-headers"].split(",")
    assert {"idempotency-key", "if-match", "if-none-match"} <= set(allowed)


def test_conditional_requests_and_idempotency_keys_in_the_container(
    container_stack: Stack,
) -> None:
    _conditional_and_idempotent(container_stack)


def test_a_local_token_signs_in_through_rungateway(
    prepared: tuple[dict[str, str], str], tmp_path: Path
) -> None:
    """The README's flow: `rungateway --jwt-issuer local`, then `issue_token` for a user."""
    env = {**prepared[0], "LOCALGATEWAY_KEYS_DIR": str(tmp_path / "keys")}
    port = free_port()
    issuer = f"http://127.0.0.1:{port}/local-issuer"
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "manage.py", "rungateway", f"127.0.0.1:{port}", "--jwt-issuer", "local"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/prod"
    try:
        _wait(f"{url}/health", process)
        reader = _manage(
            env, "issue_token", "--user", "dana", "--issuer", issuer, "--scope", "pets/read"
        ).strip()
        writer = _manage(env, "issue_token", "--user", "dana", "--issuer", issuer).strip()

        created = web.post(
            f"{url}/v1/pets",
            json={"name": "Kit", "species": "cat"},
            headers={"authorization": f"Bearer {writer}"},
        )
        listed = web.get(f"{url}/v1/pets", headers={"authorization": f"Bearer {reader}"})
        refused = web.post(
            f"{url}/v1/pets", json={"name": "No"}, headers={"authorization": f"Bearer {reader}"}
        )
        anonymous = web.get(f"{url}/v1/pets")
        usage = web.get(f"{url}/v1/usage", headers={"authorization": f"Bearer {reader}"})
    finally:
        _stop(process)

    assert created.status_code == 201, created.text
    assert [pet["name"] for pet in listed.json()["results"]] == ["Kit"]
    assert (refused.status_code, refused.json()) == (403, {"message": "Forbidden"})
    assert (anonymous.status_code, anonymous.json()) == (401, {"message": "Unauthorized"})
    assert usage.json()["token"] == {"issuer": issuer, "subject": "dana"}
    assert usage.json()["quota"]["used"] == 3
