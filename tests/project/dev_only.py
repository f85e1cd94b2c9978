"""What only the `dev` extra installs: code neither the Lambda zip nor production may hold."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from functools import cache
from importlib.metadata import PackageNotFoundError, distribution, packages_distributions
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
# Project packages that are development tools, never deployed.
DEV_PACKAGES = frozenset({"localgateway", "tests", "benchmarks", "scripts"})


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _project() -> dict[str, Any]:
    project: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return project


def closure(requirements: Iterable[str]) -> frozenset[str]:
    """The installed distributions `requirements` pull in, extras and markers applied."""
    seen: set[tuple[str, frozenset[str]]] = set()
    found: set[str] = set()
    todo = [Requirement(line) for line in requirements]
    while todo:
        requirement = todo.pop()
        key = (canonical(requirement.name), frozenset(requirement.extras))
        if key in seen:
            continue
        seen.add(key)
        try:
            dist = distribution(requirement.name)
        except PackageNotFoundError:
            continue  # not for this platform or Python
        found.add(key[0])
        for line in dist.requires or []:
            needed = Requirement(line)
            extras = {"", *requirement.extras}
            if needed.marker is None or any(needed.marker.evaluate({"extra": e}) for e in extras):
                todo.append(needed)
    return frozenset(found)


@cache
def runtime_distributions() -> frozenset[str]:
    """What the app needs to run: the dependencies and every extra but `dev` (the
    container extra is production too)."""
    project = _project()
    requirements = list(project["dependencies"])
    for extra, lines in project["optional-dependencies"].items():
        if extra != "dev":
            requirements += lines
    return closure(requirements)


@cache
def dev_only_distributions() -> frozenset[str]:
    """What the `dev` extra installs that nothing else needs."""
    return closure(dev_requirements()) - runtime_distributions()


def dev_requirements() -> list[str]:
    """The `dev` extra's requirement lines, as pyproject.toml declares them."""
    lines: list[str] = _project()["optional-dependencies"]["dev"]
    return lines


@cache
def dev_only_modules() -> frozenset[str]:
    """Top-level import names that only dev-only distributions (or dev packages) provide."""
    dev_only = dev_only_distributions()
    return DEV_PACKAGES | frozenset(
        module
        for module, dists in packages_distributions().items()
        if all(canonical(dist) in dev_only for dist in dists)
    )
