"""Build the Lambda deployment package (a zip) reproducibly, without Docker.

    python scripts/package.py [--output build/lambda] [--arch x86_64|arm64] [--python PY312]

1. The runtime dependencies exactly as uv.lock pins them (`uv export --no-dev`: every
   package and its hashes), as wheels built for Lambda's platform: `uv pip install
   --python-platform <arch>-manylinux_2_28 --python-version 3.12 --only-binary :all:
   --require-hashes --no-deps --target ...` (no Docker needed), leaving out the AWS SDK
   the runtime provides.
2. The app (gatewayproject/, apps/, lambda_runtime/; never localgateway/), without tests,
   benchmarks, scripts, docs or .env.
3. Static files collected into staticfiles/ (WhiteNoise serves them from the function),
   by a Python 3.12 running the package itself with production settings and dummy secrets.
4. Bytecode compiled by Python 3.12 (bytecode is version-specific) in `unchecked-hash`
   mode: Lambda's /var/task is read-only and a zip's timestamps would make timestamp-based
   .pyc files look stale, so Python would recompile every module at every cold start.
5. A deterministic zip: sorted entries, fixed timestamps and permissions (644; Lambda
   needs world-readable files), so two builds of the same inputs have the same sha256.

Budget: zip ≤ 40 MiB, unzipped ≤ 150 MiB (Lambda's limits are 50 and 250); over it, the
build fails. See https://docs.aws.amazon.com/lambda/latest/dg/python-package.html
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP_PACKAGES = ("gatewayproject", "apps", "lambda_runtime")
ZIP_NAME = "gatewayproject-lambda.zip"
MIB = 1024 * 1024
ZIP_BUDGET = 40 * MIB
UNZIPPED_BUDGET = 150 * MIB
LAMBDA_TASK_ROOT = "/var/task"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # The earliest time a zip entry can carry.
SKIPPED_NAMES = {"__pycache__", ".env", ".DS_Store"}
SKIPPED_SUFFIXES = (".pyc", ".pyo", ".sqlite3", ".env")
# The python3.12 runtime ships the AWS SDK (https://docs.aws.amazon.com/lambda/latest/dg/lambda-python.html):
# leaving it out saves ~25 MiB of the zip budget. Only the photo paths import it, lazily.
# `--bundle-aws-sdk` keeps a pinned copy instead.
PROVIDED_BY_RUNTIME = ("boto3", "botocore", "s3transfer", "jmespath")
# Static files nothing serves: drf-spectacular-sidecar's ReDoc bundle (10 MiB with its
# source map and compressed copies); the API documents itself with Swagger UI only.
STATIC_IGNORE = ["redoc"]


def find_python312(explicit: str | None) -> str:
    """A Python 3.12 interpreter: --python, LAMBDA_PYTHON, python3.12 on PATH, or pyenv."""
    pyenv_root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    candidates = [
        explicit,
        os.environ.get("LAMBDA_PYTHON"),
        shutil.which("python3.12"),
        *sorted(glob.glob(f"{pyenv_root}/versions/3.12*/bin/python3.12"), reverse=True),
    ]
    for candidate in filter(None, candidates):
        probe = subprocess.run(  # noqa: S603
            [candidate, "-c", "import sys; print(sys.version_info[:2] == (3, 12))"],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.stdout.strip() == "True":
            return candidate
    raise SystemExit(
        "package: no Python 3.12 found (Lambda's python3.12 runtime needs 3.12 bytecode). "
        "Install one (e.g. `pyenv install 3.12`) or pass --python /path/to/python3.12."
    )


def probe_python312(explicit: str | None) -> int:
    """For `make test`: a laptop without Python 3.12 skips the package test; CI may not."""
    try:
        find_python312(explicit)
    except SystemExit as missing:
        if os.environ.get("CI"):
            print(f"ERROR: {missing} CI requires the package test.", file=sys.stderr)
            return 2
        print(f"SKIPPED: the Lambda package test: {missing} Set CI=1 to require it.",
              file=sys.stderr)  # fmt: skip
        return 1
    return 0


def find_uv() -> str:
    """uv: $UV (the Makefile passes its pinned copy), .venv-uv/bin/uv, or uv on PATH."""
    for candidate in (os.environ.get("UV"), str(ROOT / ".venv-uv" / "bin" / "uv"), "uv"):
        if candidate and shutil.which(candidate):
            return candidate
    raise SystemExit("package: uv not found: run `make install` (it installs .venv-uv/bin/uv)")


def install_dependencies(target: Path, arch: str) -> None:
    uv = find_uv()
    requirements = target.parent / "requirements.txt"
    # The runtime dependencies only (no extras, no groups), pinned with their hashes;
    # --locked fails here, as in `make test`, if pyproject.toml and uv.lock disagree.
    export = [
        uv, "export", "--locked", "--no-dev", "--no-emit-project", "--format", "requirements-txt",
        "--no-header", "--quiet", "--project", str(ROOT), "--output-file", str(requirements),
    ]  # fmt: skip
    subprocess.run(export, check=True)  # noqa: S603
    # The python3.12 runtime runs on Amazon Linux 2023 (glibc 2.34): manylinux_2_28 wheels fit
    # (uv also accepts older tags such as manylinux2014 for that platform). The lock names one
    # version per package, so a platform without a wheel for it fails instead of quietly
    # falling back to an older release than the tested one.
    machine = {"x86_64": "x86_64", "arm64": "aarch64"}[arch]
    command = [
        uv, "pip", "install", "--quiet", "--target", str(target),
        "--python-platform", f"{machine}-manylinux_2_28", "--python-version", "3.12",
        "--only-binary", ":all:", "--require-hashes", "--no-deps", "--no-config",
        "--requirements", str(requirements),
    ]  # fmt: skip
    print(f"package: uv pip install -r {requirements.name} (from uv.lock)", flush=True)
    subprocess.run(command, check=True)  # noqa: S603
    # Console scripts carry this machine's interpreter path and are useless in Lambda.
    shutil.rmtree(target / "bin", ignore_errors=True)


def drop_runtime_provided(target: Path) -> None:
    for name in PROVIDED_BY_RUNTIME:
        shutil.rmtree(target / name, ignore_errors=True)
        for dist_info in target.glob(f"{name}-*.dist-info"):
            shutil.rmtree(dist_info)


def copy_app(target: Path) -> None:
    def ignore(directory: str, names: list[str]) -> set[str]:
        return {n for n in names if n in SKIPPED_NAMES or n.endswith(SKIPPED_SUFFIXES)}

    for package in APP_PACKAGES:
        shutil.copytree(ROOT / package, target / package, ignore=ignore)


def collect_static(target: Path, python312: str) -> None:
    """collectstatic with the package's own code and dependencies, production settings."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "gatewayproject.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),  # Dummy: nothing is signed.
        "DATABASE_URL": "sqlite:///:memory:",
        "DJANGO_ALLOWED_HOSTS": "localhost",
        "DJANGO_STATIC_ROOT": str(target / "staticfiles"),
    }
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); import django; django.setup(); "
        "from django.core.management import call_command; "
        "call_command('collectstatic', interactive=False, verbosity=0, "
        "ignore_patterns=sys.argv[2:])"
    )
    # -B: no bytecode here; compile_bytecode() writes the only .pyc files the zip gets.
    command = [python312, "-I", "-S", "-B", "-c", script, str(target), *STATIC_IGNORE]
    subprocess.run(command, env=env, check=True)  # noqa: S603
    # The manifest lists files in directory-scan order, which varies between file systems.
    manifest = target / "staticfiles" / "staticfiles.json"
    manifest.write_text(json.dumps(json.loads(manifest.read_text()), sort_keys=True))


def compile_bytecode(target: Path, python312: str) -> None:
    command = [
        python312, "-I", "-m", "compileall", "-q", "-f", "-j", "0",
        "--invalidation-mode", "unchecked-hash",
        # Tracebacks name the files where Lambda unpacks them, not this build directory.
        "-s", str(target), "-p", LAMBDA_TASK_ROOT,
        str(target),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode:
        raise SystemExit(f"package: compileall failed:\n{result.stdout}{result.stderr}")


# Deflate level 6 (zlib's default): 0.2 MiB bigger than level 9 on this package (36.8 vs
# 36.6 MiB) for less than half the CPU time (3.8 vs 9.6 s measured); cold starts read either.
COMPRESS_LEVEL = 6


def write_zip(source: Path, destination: Path) -> tuple[int, int]:
    """Zip `source` deterministically; returns (files, uncompressed bytes)."""
    files = sorted((p.relative_to(source).as_posix(), p) for p in source.rglob("*") if p.is_file())
    total = 0
    with zipfile.ZipFile(
        destination, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL
    ) as archive:
        for name, path in files:
            info = zipfile.ZipInfo(name, FIXED_TIME)
            info.external_attr = 0o100644 << 16  # regular file, rw-r--r--
            info.create_system = 3  # Unix, so the permissions above are honoured
            info.compress_type = zipfile.ZIP_DEFLATED
            data = path.read_bytes()
            total += len(data)
            archive.writestr(info, data, compresslevel=COMPRESS_LEVEL)
    return len(files), total


def report(archive: Path, files: int, unzipped: int, staging: Path) -> bool:
    zipped = archive.stat().st_size
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    archive.with_suffix(".zip.sha256").write_text(f"{digest}  {archive.name}\n")
    print(f"package: {archive} ({files} files)")
    print(f"package: sha256 {digest}")
    print(f"package: zip      {zipped / MIB:7.2f} MiB (budget {ZIP_BUDGET // MIB} MiB)")
    print(f"package: unzipped {unzipped / MIB:7.2f} MiB (budget {UNZIPPED_BUDGET // MIB} MiB)")
    sizes = {
        top.name: sum(p.stat().st_size for p in top.rglob("*") if p.is_file())
        if top.is_dir()
        else top.stat().st_size
        for top in staging.iterdir()
    }
    for name, size in sorted(sizes.items(), key=lambda item: -item[1])[:8]:
        print(f"package:   {size / MIB:7.2f} MiB  {name}")
    return zipped <= ZIP_BUDGET and unzipped <= UNZIPPED_BUDGET


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "build" / "lambda")
    parser.add_argument("--arch", choices=("x86_64", "arm64"), default="x86_64")
    parser.add_argument("--python", help="a Python 3.12 interpreter (found if omitted)")
    parser.add_argument(
        "--probe",
        action="store_true",
        help="only look for a Python 3.12: exit 0 when found, 1 to skip, 2 when CI needs it",
    )
    parser.add_argument(
        "--bundle-aws-sdk",
        action="store_true",
        help="ship boto3/botocore in the zip instead of using the runtime's copy",
    )
    args = parser.parse_args()
    if args.probe:
        return probe_python312(args.python)
    python312 = find_python312(args.python)
    output: Path = args.output.resolve()
    staging = output / "package"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    install_dependencies(staging, args.arch)
    if not args.bundle_aws_sdk:
        drop_runtime_provided(staging)
    copy_app(staging)
    collect_static(staging, python312)
    compile_bytecode(staging, python312)
    archive = output / ZIP_NAME
    archive.unlink(missing_ok=True)
    files, unzipped = write_zip(staging, archive)
    if not report(archive, files, unzipped, staging):
        print("package: over budget", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
