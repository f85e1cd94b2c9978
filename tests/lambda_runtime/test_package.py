"""The Lambda deployment package (`make package`), inspected and run from a clean interpreter.

`make test-package` (part of `make test`) builds the zip and runs these with LAMBDA_PACKAGE
set to it; without LAMBDA_PACKAGE they are skipped, so the two pytest legs do not each
spend half a minute building it.
"""

from __future__ import annotations

import json
import os
import platform
import secrets
import stat
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.lambda_runtime import events
from tests.project.dev_only import canonical, dev_only_distributions, dev_only_modules

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = os.environ.get("LAMBDA_PACKAGE")
MIB = 1024 * 1024

pytestmark = pytest.mark.skipif(
    not PACKAGE, reason="set LAMBDA_PACKAGE to a built zip (make test-package does)"
)


def _package_script() -> Any:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import package  # scripts/package.py

        return package
    finally:
        sys.path.remove(str(ROOT / "scripts"))


@pytest.fixture(scope="module")
def archive() -> zipfile.ZipFile:
    assert PACKAGE
    return zipfile.ZipFile(PACKAGE)


@pytest.fixture(scope="module")
def names(archive: zipfile.ZipFile) -> list[str]:
    return archive.namelist()


def test_size_is_within_budget(archive: zipfile.ZipFile) -> None:
    assert PACKAGE
    assert Path(PACKAGE).stat().st_size <= 40 * MIB
    assert sum(info.file_size for info in archive.infolist()) <= 150 * MIB


def test_no_tests_secrets_or_tooling_inside(names: list[str]) -> None:
    tops = {name.split("/")[0] for name in names}
    assert not tops & {"tests", "benchmarks", "scripts", "docs", "infra", "bin", ".git"}
    assert not [n for n in names if Path(n).name in (".env", "db.sqlite3") or n.endswith(".env")]
    assert not [n for n in names if n.endswith(".cpython-311.pyc")]
    assert {"gatewayproject", "apps", "django", "rest_framework", "mangum", "psycopg"} <= tops


def test_no_development_code_inside(names: list[str]) -> None:
    """Neither the local API Gateway nor anything only the `dev` extra installs."""
    tops = {name.split("/")[0] for name in names}
    shipped = {
        canonical(top.removesuffix(".dist-info").rsplit("-", 1)[0])
        for top in tops
        if top.endswith(".dist-info")
    }
    modules = {top.removesuffix(".py") for top in tops if not top.endswith(".dist-info")}

    assert not tops & {"localgateway", "anyio", "uvicorn", "httpx", "cfnlint", "samtranslator"}
    assert not modules & dev_only_modules()
    assert not shipped & dev_only_distributions()
    assert not [n for n in names if "rungateway" in n or "localgateway" in n]
    assert {"lambda_runtime", "gatewayproject", "apps"} <= modules


def test_bytecode_for_python_3_12_is_shipped_for_every_module(names: list[str]) -> None:
    sources = {
        n
        for n in names
        if n.endswith(".py") and n.startswith(("gatewayproject/", "apps/", "django/"))
    }
    compiled = {n for n in names if n.endswith(".cpython-312.pyc")}
    missing = [
        source
        for source in sources
        if f"{Path(source).parent}/__pycache__/{Path(source).stem}.cpython-312.pyc" not in compiled
    ]
    assert missing == []
    assert "lambda_runtime/__pycache__/handler.cpython-312.pyc" in compiled


def test_dependencies_are_the_versions_the_suite_tested(names: list[str]) -> None:
    """The zip's wheels were resolved for another platform: the same releases, or the
    deployed code (a decoder such as Pillow above all) is not the code these tests ran."""
    from importlib.metadata import PackageNotFoundError, version

    shipped = {
        tuple(name.split("/", 1)[0].removesuffix(".dist-info").rsplit("-", 1))
        for name in names
        if name.split("/", 1)[0].endswith(".dist-info")
    }
    mismatched = []
    for distribution, shipped_version in shipped:
        try:
            tested = version(distribution)
        except PackageNotFoundError:
            continue  # only in the package (a platform-specific helper)
        if tested != shipped_version:
            mismatched.append(f"{distribution}: shipped {shipped_version}, tested {tested}")
    assert mismatched == []
    assert any(d.lower() == "pillow" for d, _ in shipped)


def test_static_files_are_collected(names: list[str]) -> None:
    static = [n for n in names if n.startswith("staticfiles/")]
    assert "staticfiles/staticfiles.json" in static
    assert any(n.startswith("staticfiles/admin/css/base.") and n.endswith(".css") for n in static)
    assert any("swagger-ui-bundle." in n for n in static)


def test_entries_are_deterministic(archive: zipfile.ZipFile, names: list[str]) -> None:
    assert names == sorted(names)
    for info in archive.infolist():
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        assert stat.S_IMODE(info.external_attr >> 16) == 0o644


def test_the_zip_writer_is_reproducible(tmp_path: Path) -> None:
    package = _package_script()
    tree = tmp_path / "tree"
    (tree / "b").mkdir(parents=True)
    (tree / "b" / "z.txt").write_text("z")
    (tree / "a.py").write_text("a = 1\n")
    first, second = tmp_path / "1.zip", tmp_path / "2.zip"
    package.write_zip(tree, first)
    os.utime(tree / "a.py", (0, 0))  # Timestamps and permissions must not leak in.
    (tree / "b" / "z.txt").chmod(0o600)
    package.write_zip(tree, second)

    assert first.read_bytes() == second.read_bytes()


@pytest.fixture(scope="module")
def unpacked(archive: zipfile.ZipFile, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package as Lambda unpacks it in /var/task: read-only."""
    target = tmp_path_factory.mktemp("task")
    archive.extractall(target)
    # If the shipped .pyc were not used (stale, or wrong version), this source would run.
    (target / "gatewayproject" / "__init__.py").write_text(
        'raise RuntimeError("the source was compiled instead of the shipped .pyc")\n'
    )
    for path in [target, *target.rglob("*")]:
        path.chmod(path.stat().st_mode & ~0o222)
    return target


CLEAN_RUN = """
import importlib.util, json, sys
sys.path[:0] = [sys.argv[1]]
from lambda_runtime import handler as lambda_handler
from django.conf import settings
migrated = lambda_handler.manage({"command": "migrate"}, None)
health = lambda_handler.handler(json.loads(sys.argv[2]), None)
static = lambda_handler.handler(json.loads(sys.argv[3]), None)
outside = sorted(
    name for name, module in list(sys.modules.items())
    if getattr(module, "__file__", None)
    and not module.__file__.startswith((sys.argv[1], sys.base_prefix))
)
dev_tools = ["localgateway", "anyio", "uvicorn", "httpx", "cfnlint", "samtranslator", "pytest"]
print(json.dumps({"migrated": migrated["ok"], "health": health["statusCode"],
                  "static": static["statusCode"], "outside": outside,
                  "version": list(sys.version_info[:2]),
                  "installed_apps": list(settings.INSTALLED_APPS),
                  "importable_dev_tools": [m for m in dev_tools if importlib.util.find_spec(m)]}))
"""


def test_handler_runs_from_the_package_alone(unpacked: Path, tmp_path: Path) -> None:
    if platform.machine() != "x86_64":
        pytest.skip("the package holds x86_64 wheels")
    python312 = _package_script().find_python312(None)
    host = "aaaaaaaaaa.execute-api.us-west-2.amazonaws.com"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_ALLOWED_HOSTS": host,
    }
    manifest = json.loads((unpacked / "staticfiles" / "staticfiles.json").read_text())
    health = events.http_api(path="/health")
    static = events.http_api(path="/static/" + manifest["paths"]["admin/css/base.css"])

    # -I -S: no site-packages, no PYTHON* variables, no current directory on sys.path.
    result = subprocess.run(  # noqa: S603
        [
            python312,
            "-I",
            "-S",
            "-c",
            CLEAN_RUN,
            str(unpacked),
            json.dumps(health),
            json.dumps(static),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    assert report["version"] == [3, 12]
    assert report["migrated"] is True
    assert report["health"] == 200
    assert report["static"] == 200  # WhiteNoise serves the collected, hashed file
    assert report["outside"] == []
    # The production settings set up Django with no development tool there to import.
    assert report["importable_dev_tools"] == []
    assert "localgateway" not in report["installed_apps"]
