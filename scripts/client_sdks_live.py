"""Both SDKs' suites against live `manage.py rungateway`s (the real Lambda request path) on
free loopback ports, with a throwaway SQLite database and media directory: one serves the
template as deployed by default (API keys), one with its JWT authorizer on and the local
issuer (`--jwt-issuer local`, bearer tokens checked for real).

Each suite gets its own user (so neither sees the other's pets) with two keys: one on a
roomy plan, and one whose quota is a single request a day (its second request is a real
429 `Limit Exceeded` with Retry-After); and a token for its own subject. Direct uploads are
capped at 64 KiB, so a 413 costs little to provoke.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from client_sdks import PY_DIR, ROOT, TS_DIR, VENV, npm, run, say

DIRECT_MAX_BYTES = 64 * 1024
SEED = """
import json
from django.contrib.auth.models import User
from apps.api_keys.models import UsagePlan
from apps.api_keys.services import api_key_create
roomy = UsagePlan.objects.create(name="SDK", rate=1000, burst=1000, limit=None)
one = UsagePlan.objects.create(name="SDK, one a day", rate=1000, burst=1000, limit=1)
keys = {}
for suite in ("python", "typescript"):
    user = User.objects.create_user(f"sdk-{suite}")
    keys[suite] = {
        "PETS_API_KEY": api_key_create(owner=user, plan=roomy, name="sdk")[1],
        "PETS_API_LIMITED_KEY": api_key_create(owner=user, plan=one, name="sdk-limited")[1],
    }
print("KEYS=" + json.dumps(keys))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, name: str) -> None:
    deadline = time.monotonic() + 120  # generous: the machine may be busy
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"clients: rungateway at {name} did not answer {url}")


def environment(workdir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gatewayproject.settings.local",
        "DJANGO_DEBUG": "false",
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "DJANGO_MEDIA_ROOT": str(workdir / "media"),
        "DJANGO_STATIC_ROOT": str(workdir / "static"),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_LOG_LEVEL": "WARNING",
        "PHOTOS_DIRECT_MAX_BYTES": str(DIRECT_MAX_BYTES),
        "LOCALGATEWAY_KEYS_DIR": str(workdir / "issuer-keys"),
    }


@contextmanager
def serving(env: dict[str, str], log: Path, *options: str) -> Iterator[str]:
    """One `rungateway` on a free port, stopped on exit; yields its URL (stage included)."""
    port = free_port()
    with log.open("wb") as output:
        server = subprocess.Popen(  # noqa: S603
            [sys.executable, str(ROOT / "manage.py"), "rungateway", f"127.0.0.1:{port}", *options],
            env=env,
            stdout=output,
            stderr=output,
        )
    try:
        yield f"http://127.0.0.1:{port}/prod"
    except BaseException:
        print(log.read_text(errors="replace")[-4000:], file=sys.stderr)
        raise
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    if server.returncode not in (0, -15):
        print(log.read_text(errors="replace")[-2000:], file=sys.stderr)


@contextmanager
def gateways(workdir: Path) -> Iterator[dict[str, dict[str, str]]]:
    """A fresh database, and two gateways on it: the template as deployed by default (keys),
    and with its JWT authorizer on (`--jwt-issuer local`, which then requires tokens).
    Yields each suite's environment: the URLs, keys and a token."""
    env = environment(workdir)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True)  # noqa: S603
    seeded = subprocess.run(  # noqa: S603
        [*manage, "shell", "-c", SEED], env=env, check=True, capture_output=True, text=True
    ).stdout
    suites = json.loads(seeded.split("KEYS=", 1)[1])
    with (
        serving(env, workdir / "gateway.log") as url,
        serving(env, workdir / "gateway-jwt.log", "--jwt-issuer", "local") as token_url,
    ):
        for each in (url, token_url):
            wait_until_up(f"{each}/health", each)
        issuer = token_url.removesuffix("/prod") + "/local-issuer"
        for suite, variables in suites.items():
            token = subprocess.run(  # noqa: S603
                [*manage, "issue_token", "--user", f"sdk-{suite}", "--issuer", issuer],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
            variables.update(PETS_API_URL=url, PETS_API_TOKEN_URL=token_url, PETS_API_TOKEN=token)
        say(f"rungateway up at {url} (keys) and {token_url} (JWT authorizer)")
        yield suites


def install_python_client() -> None:
    """`pip install ./clients/python` into .venv-clients, as a user would; again only when
    the package's files changed (the suite tests the installed copy, not the source tree)."""
    digest = hashlib.sha256()
    sources = [*(PY_DIR / "pets_api").rglob("*"), *(PY_DIR / "pets_api_client").rglob("*")]
    for path in [*sorted(sources), PY_DIR / "pyproject.toml"]:
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(PY_DIR)).encode() + b"\0" + path.read_bytes())
    marker = VENV / ".client-installed"
    if marker.exists() and marker.read_text() == digest.hexdigest():
        return
    pip = [str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    run([*pip, "--no-deps", "--no-build-isolation", "--force-reinstall", str(PY_DIR)])
    marker.write_text(digest.hexdigest())


def run_suites(*, typescript: bool, ensure_node_modules: Callable[[Path], None]) -> int:
    """Install the Python client as a user would and build the TypeScript one while the
    gateway starts, then run both suites against it."""

    def build_typescript() -> None:
        ensure_node_modules(TS_DIR)
        run([npm(), "run", "--silent", "build"], cwd=TS_DIR)

    with ThreadPoolExecutor(max_workers=2) as pool:
        builds = [pool.submit(install_python_client)]
        if typescript:
            builds.append(pool.submit(build_typescript))
        with tempfile.TemporaryDirectory(prefix="clients-") as tmp, gateways(Path(tmp)) as suites:
            for build in builds:
                build.result()  # a failed build raises here
            failed = subprocess.run(  # noqa: S603
                [str(VENV / "bin" / "pytest")], cwd=PY_DIR, env={**os.environ, **suites["python"]}
            ).returncode
            if typescript:
                env = {**os.environ, **suites["typescript"]}
                npm_test = [npm(), "test", "--silent"]
                failed |= subprocess.run(npm_test, cwd=TS_DIR, env=env).returncode  # noqa: S603
    return 1 if failed else 0
