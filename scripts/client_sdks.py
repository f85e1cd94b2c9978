"""The client SDKs: `generate` (make clients) writes clients/openapi/openapi.json from the app
and both SDKs from it; `check` (make test-clients) fails when any of them is stale, lints the
document, and type-checks the Python layer; `test` builds the TypeScript client and runs both
SDKs' suites against one live `rungateway` (scripts/client_sdks_live.py).

The Python generator runs from .venv-clients (clients/tools/uv.lock);
the TypeScript one and the linter from node_modules installed by `npm ci` from each
package-lock.json, reused across runs and checkouts by the lock's hash. Without node/npm the
TypeScript leg and the lint are skipped with a message, unless CI is set.
"""

from __future__ import annotations

import argparse
import difflib
import filecmp
import functools
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = ROOT / "clients"
DOCUMENT = CLIENTS / "openapi" / "openapi.json"
LINT_DIR = CLIENTS / "openapi"
PY_DIR = CLIENTS / "python"
PY_PACKAGE = PY_DIR / "pets_api_client"
TS_DIR = CLIENTS / "typescript"
TS_SCHEMA = TS_DIR / "src" / "schema.ts"
VENV = Path(os.environ.get("CLIENTS_VENV", ROOT / ".venv-clients"))
NODE_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "pets-api-clients"
# openapi-python-client cannot generate raw image bodies (POST /v1/photos also takes
# multipart, which it does generate); any other warning means the document regressed.
KNOWN_WARNINGS = re.compile(r"Unsupported content type image/(jpeg|png|webp)")
PY_GENERATOR_ARGS = ["--meta", "none", "--config", str(PY_DIR / "generator.yaml"), "--overwrite"]


def say(message: str) -> None:
    print(f"clients: {message}", flush=True)


def run(command: Sequence[str], cwd: Path = ROOT, env: dict[str, str] | None = None) -> None:
    """Run a step; its output shows; a failure stops everything."""
    started = time.monotonic()
    name = " ".join([Path(command[0]).name, *command[1:3]])
    if subprocess.run(list(command), cwd=cwd, env=env, check=False).returncode:  # noqa: S603
        raise SystemExit(f"clients: {name} ... failed (its output is above)")
    say(f"{name} ... ok ({time.monotonic() - started:.1f} s)")


def npm() -> str:
    return shutil.which("npm") or "npm"


@functools.cache
def node_available() -> bool:
    """node and npm on PATH; without them the TypeScript leg is skipped, but not in CI."""
    if shutil.which("node") and shutil.which("npm"):
        return True
    message = "node/npm not found: the TypeScript client and the OpenAPI lint are skipped"
    if os.environ.get("CI"):
        raise SystemExit(f"clients: {message} (not allowed when CI is set). Install Node 20+.")
    say(f"{message}. Install Node 20+ and npm to run them.")
    return False


def ensure_node_modules(package: Path) -> None:
    """`npm ci`, once per package-lock.json: node_modules carries the lock's hash, and a copy
    is kept in ~/.cache/pets-api-clients for other checkouts (and CI's fresh clones)."""
    digest = hashlib.sha256((package / "package-lock.json").read_bytes()).hexdigest()[:20]
    marker = package / "node_modules" / ".lock-hash"
    if marker.exists() and marker.read_text() == digest:
        return
    cached = NODE_CACHE / f"{package.name}-{digest}"
    shutil.rmtree(package / "node_modules", ignore_errors=True)
    if (cached / ".lock-hash").exists():
        shutil.copytree(cached, package / "node_modules", symlinks=True)
        say(f"{package.relative_to(ROOT)}: node_modules from {cached}")
        return
    # --ignore-scripts: no dependency needs an install script (they are banners and telemetry).
    run([npm(), "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], package)
    marker.write_text(digest)
    keep_in_cache(package / "node_modules", cached)


def keep_in_cache(node_modules: Path, cached: Path) -> None:
    """Copy node_modules into the cache (atomically: staged, then renamed), replacing the
    copies of older locks of the same package; a cache that cannot be written is skipped."""
    staging = None
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=cached.parent, prefix=".staging-"))
        shutil.copytree(node_modules, staging / "node_modules", symlinks=True)
        os.replace(staging / "node_modules", cached)
        for old in cached.parent.glob(f"{cached.name.rsplit('-', 1)[0]}-*"):
            if old != cached:
                shutil.rmtree(old, ignore_errors=True)
    except OSError:
        pass  # Another checkout cached the same lock first, or no cache dir: fine.
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)


def write_document(path: Path) -> None:
    """The app's OpenAPI document, as `manage.py spectacular` writes it (warnings are errors)."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "gatewayproject.settings.test"}
    command = [sys.executable, "manage.py", "spectacular", "--format", "openapi-json"]
    run([*command, "--validate", "--fail-on-warn", "--file", str(path)], env=env)


def generate_python(document: Path, output: Path) -> None:
    generator = VENV / "bin" / "openapi-python-client"
    if not generator.exists():
        raise SystemExit(f"clients: {generator} is missing: run `make clients` (it installs it)")
    env = {**os.environ, "PATH": f"{VENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
    command = [str(generator), "generate", "--path", str(document), "--output-path", str(output)]
    result = subprocess.run(  # noqa: S603
        [*command, *PY_GENERATOR_ARGS], cwd=PY_DIR, env=env, capture_output=True, text=True
    )
    said = result.stderr + result.stdout
    warnings = re.findall(r"^WARNING.*\n\n(.+)$", said, re.M)
    unexpected = [warning for warning in warnings if not KNOWN_WARNINGS.search(warning)]
    unexpected += re.findall(r"^Error\(s\) encountered.*$", said, re.M)  # a failed post hook
    if result.returncode or unexpected or not (output / "__init__.py").exists():
        print(result.stdout, result.stderr, sep="\n", file=sys.stderr)
        raise SystemExit(f"clients: openapi-python-client failed or warned: {unexpected}")
    say(f"openapi-python-client -> {output.name} ok ({len(warnings)} known warnings)")


def generate_typescript(document: Path, output: Path) -> None:
    ensure_node_modules(TS_DIR)
    generator = TS_DIR / "node_modules" / ".bin" / "openapi-typescript"
    # The same flags as `npm run generate` in clients/typescript/package.json.
    flags = ["--default-non-nullable", "false", "--output", str(output)]
    run([str(generator), str(document), *flags], cwd=TS_DIR)


def lint(document: Path) -> None:
    """openapi-spec-validator, then Spectral with the project's rules (warnings fail too)."""
    from openapi_spec_validator import validate
    from openapi_spec_validator.readers import read_from_filename

    validate(read_from_filename(str(document))[0])
    say("openapi-spec-validator ... ok")
    if node_available():
        ensure_node_modules(LINT_DIR)
        spectral = LINT_DIR / "node_modules" / ".bin" / "spectral"
        run([str(spectral), "lint", "--fail-severity=warn", str(document)], cwd=LINT_DIR)


def generate() -> int:
    write_document(DOCUMENT)
    lint(DOCUMENT)
    with tempfile.TemporaryDirectory() as tmp:
        generate_python(DOCUMENT, Path(tmp) / PY_PACKAGE.name)
        shutil.rmtree(PY_PACKAGE, ignore_errors=True)
        shutil.copytree(Path(tmp) / PY_PACKAGE.name, PY_PACKAGE)
    if node_available():
        generate_typescript(DOCUMENT, TS_SCHEMA)
    say("regenerated: review and commit clients/")
    return 0


def files(top: Path) -> dict[str, Path]:
    if top.is_file():
        return {top.name: top}
    return {
        str(path.relative_to(top)): path
        for path in sorted(top.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def differences(expected: Path, committed: Path) -> list[str]:
    """What differs between a fresh output and the committed one, as short diffs."""
    fresh, kept = files(expected), files(committed)
    problems = [f"missing {name}" for name in sorted(fresh.keys() - kept.keys())]
    problems += [f"not generated {name}" for name in sorted(kept.keys() - fresh.keys())]
    for name in sorted(fresh.keys() & kept.keys()):
        if not filecmp.cmp(fresh[name], kept[name], shallow=False):
            diff = difflib.unified_diff(
                kept[name].read_text(errors="replace").splitlines(),
                fresh[name].read_text(errors="replace").splitlines(),
                f"committed/{name}",
                f"generated/{name}",
                lineterm="",
                n=1,
            )
            problems.append("\n".join(list(diff)[:12]))
    return problems


def check() -> int:
    """Stale document or SDK, lint, and the layers' type checks; each problem is named."""
    stale: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        write_document(fresh / DOCUMENT.name)
        stale += [f"clients/openapi: {d}" for d in differences(fresh / DOCUMENT.name, DOCUMENT)]
        lint(DOCUMENT)
        generate_python(DOCUMENT, fresh / PY_PACKAGE.name)
        stale += [f"clients/python: {d}" for d in differences(fresh / PY_PACKAGE.name, PY_PACKAGE)]
        typescript = node_available()
        if typescript:
            generate_typescript(DOCUMENT, fresh / TS_SCHEMA.name)
            stale += [
                f"clients/typescript: {d}" for d in differences(fresh / TS_SCHEMA.name, TS_SCHEMA)
            ]
    if stale:
        print("\n".join(stale), file=sys.stderr)
        print(
            "clients: a generated client is stale: run `make clients` and commit", file=sys.stderr
        )
        return 1
    say(f"the document and the {'two clients' if typescript else 'Python client'} are current")
    run([str(VENV / "bin" / "mypy"), "pets_api", "tests"], cwd=PY_DIR)
    # TypeScript: `npm test` (run by `test`) compiles src and tests with the same strict
    # tsconfig as `npm run typecheck`; a type error fails it, so it is not compiled twice.
    return 0


@contextmanager
def timed(name: str) -> Iterator[None]:
    started = time.monotonic()
    yield
    say(f"{name}: {time.monotonic() - started:.1f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["generate", "check", "test"])
    command = parser.parse_args().command
    with timed(command):
        if command == "generate":
            return generate()
        if command == "check":
            return check()
        from client_sdks_live import run_suites

        return run_suites(typescript=node_available(), ensure_node_modules=ensure_node_modules)


if __name__ == "__main__":
    sys.exit(main())
