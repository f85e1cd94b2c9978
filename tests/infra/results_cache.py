"""The slow tools' verdicts, kept between runs of `make infra-check`, keyed by what decides them.

cfn-lint (about 4 s of CPU per template), the SAM transform (0.5 s) and checkov (7 s) are pure
functions of their input: the same template text, through the same tool versions, the same
configuration and the same pipeline code, gives the same findings. So each verdict is kept on
disk under a key that hashes all of that:

- the stage's name and the exact text it read (and the transform's parameter values);
- every distribution installed beside this interpreter, with its version (cfn-lint, its
  spec data and its dependencies, aws-sam-translator, PyYAML, ...), and Python's version;
  for checkov, every distribution in `.venv-checkov` instead;
- the code that runs the tools (`pipeline.py`, `run_checkov.py`, `infra/sam_transform.py`,
  this file) and the configuration files the tools read (`.cfnlintrc`, `.checkov.yaml`, in the
  working directory and the home directory) and the environment they read.

Never a file's modification time: a change of one byte in the template, or an upgrade of any
tool, is a different key and a fresh run. The project rules are never cached (they read the
cached transformed template, and cost milliseconds), so a changed rule is always run.

The directory is pytest's cache (`.pytest_cache/d/infra-check`): `pytest --cache-clear` or
`INFRA_CACHE=off` runs every tool again. Entries unused for a week are removed.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import os
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from tests.infra.cfn import ROOT

T = TypeVar("T")
KEEP_SECONDS = 7 * 24 * 3600
HERE = Path(__file__).resolve().parent
CODE = (
    HERE / "pipeline.py",
    HERE / "run_checkov.py",
    HERE / "results_cache.py",
    ROOT / "infra" / "sam_transform.py",
)
CONFIG_NAMES = (".cfnlintrc", ".cfnlintrc.yaml", ".cfnlintrc.yml")
CHECKOV_CONFIG_NAMES = (".checkov.yaml", ".checkov.yml")
ENV_PREFIXES = ("AWS_", "CKV_", "BC_", "CHECKOV", "LOG_LEVEL")

# Set by tests/infra/conftest.py for a pytest session (inherited by the forked pool workers);
# None: every call runs its tool.
directory: Path | None = None


def configure(path: Path | None) -> None:
    global directory
    directory = None if os.environ.get("INFRA_CACHE", "on") == "off" else path
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
        _prune(directory)


def _files(paths: tuple[Path, ...]) -> list[str]:
    return [f"{p}:{hashlib.sha256(p.read_bytes()).hexdigest()}" for p in paths if p.is_file()]


def _config(names: tuple[str, ...]) -> list[str]:
    return _files(tuple(base / name for base in (Path.cwd(), Path.home()) for name in names))


@functools.cache
def python_tools() -> str:
    """This interpreter and everything installed beside it (cfn-lint, aws-sam-translator, ...)."""
    dists = sorted(f"{d.metadata['Name']}=={d.version}" for d in importlib.metadata.distributions())
    return "\n".join([sys.version, *dists, *_config(CONFIG_NAMES)])


@functools.cache
def checkov_tools(checkov_bin: Path) -> str:
    """Every distribution in checkov's venv (its dist-info names carry name and version)."""
    venv = checkov_bin.resolve().parent.parent
    dists = sorted(p.name for p in venv.glob("lib/python*/site-packages/*.dist-info"))
    return "\n".join([str(checkov_bin), *dists, *_config(CHECKOV_CONFIG_NAMES)])


def key(stage: str, text: str, tools: str, extra: Any = None) -> str:
    """The hash of everything that decides a stage's verdict on `text`."""
    environment = sorted((k, v) for k, v in os.environ.items() if k.startswith(ENV_PREFIXES))
    material = json.dumps(
        [stage, text, tools, _files(CODE), environment, extra], sort_keys=True, default=str
    )
    return hashlib.sha256(material.encode()).hexdigest()


def cached(stage: str, text: str, tools: str, compute: Callable[[], T], extra: Any = None) -> T:
    """`compute()`'s JSON-able result for this input, from the cache or computed (and kept)."""
    if directory is None:
        return compute()
    path = directory / f"{key(stage, text, tools, extra)}.json.z"
    try:
        value: T = json.loads(zlib.decompress(path.read_bytes()))
    except (OSError, ValueError, zlib.error):
        value = compute()
        _store(path, value)
    else:
        os.utime(path)  # in use: not pruned
    return value


def _store(path: Path, value: Any) -> None:
    data = zlib.compress(json.dumps(value).encode(), 1)
    # Written whole, then renamed: a reader (another pool worker, another run) never sees half.
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as out:
        out.write(data)
    os.replace(out.name, path)


def _prune(path: Path) -> None:
    cutoff = time.time() - KEEP_SECONDS
    for entry in path.iterdir():
        try:
            if entry.stat().st_mtime < cutoff:
                entry.unlink()
        except FileNotFoundError:  # removed by a run beside this one
            pass
