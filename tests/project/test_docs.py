"""The README and docs: short README, and every link, file path and dotted name they give exists."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted(
    [
        ROOT / "README.md",
        ROOT / "CONTRIBUTING.md",
        ROOT / "infra" / "README.md",
        *(ROOT / "docs").glob("*.md"),
    ]
)
# Top-level folders whose paths the docs name; a backticked path starting with one must exist.
PROJECT_DIRS = (
    "apps",
    "benchmarks",
    "clients",
    "docs",
    "gatewayproject",
    "infra",
    "lambda_runtime",
    "localgateway",
    "scripts",
    "tests",
)
PACKAGES = ("apps", "gatewayproject", "lambda_runtime", "localgateway")

FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
CODE = re.compile(r"`([^`\n]+)`")
PATH = re.compile(rf"^(?:{'|'.join(PROJECT_DIRS)})/[\w./-]*$")
DOTTED = re.compile(rf"\b((?:{'|'.join(PACKAGES)})(?:\.[A-Za-z_]\w*)+)")


def ids(paths: list[Path]) -> list[str]:
    return [str(path.relative_to(ROOT)) for path in paths]


def prose(path: Path) -> str:
    """The text outside fenced code blocks (links and names inside them are examples)."""
    return FENCE.sub("", path.read_text(encoding="utf-8"))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip()).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


@cache
def anchors(path: Path) -> frozenset[str]:
    found: set[str] = set()
    for line in prose(path).splitlines():
        if match := re.match(r"#{1,6} (.+)", line):
            base = slug(match.group(1))
            anchor, n = base, 0
            while anchor in found:  # GitHub numbers repeated headings: -1, -2, ...
                n += 1
                anchor = f"{base}-{n}"
            found.add(anchor)
    return frozenset(found)


def module_file(dotted: str) -> tuple[Path, list[str]] | None:
    """The source file of the longest module prefix of `dotted`, and the names after it."""
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        base = ROOT.joinpath(*parts[:end])
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate, parts[end:]
    return None


@cache
def top_level_names(path: Path) -> frozenset[str]:
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return frozenset(names)


def test_the_readme_is_short_and_starts_with_the_two_commands() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()

    assert len(lines) <= 200
    first_block = lines[lines.index("```sh") + 1 : lines.index("```")]
    assert [line.split()[:2] for line in first_block] == [["make", "run"], ["make", "test"]]
    assert lines.index("```sh") < 5, "the set-up commands come first"


def broken_links(doc: Path) -> list[str]:
    broken = []
    for target in LINK.findall(prose(doc)):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
            continue
        file_part, _, anchor = target.partition("#")
        linked = (doc.parent / unquote(file_part)).resolve() if file_part else doc
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(f"{target}: no heading #{anchor} in {linked.name}")
    return broken


def missing_names(doc: Path) -> list[str]:
    """Backticked project paths and dotted Python names (module, then a top-level name)."""
    missing = []
    for code in CODE.findall(doc.read_text(encoding="utf-8")):
        if PATH.match(code) and not (ROOT / code).exists():
            missing.append(code)
        for dotted in DOTTED.findall(code):
            found = module_file(dotted)
            if found is None or (found[1] and found[1][0] not in top_level_names(found[0])):
                missing.append(dotted)
    return missing


@pytest.mark.parametrize("doc", DOCS, ids=ids(DOCS))
def test_relative_links_resolve(doc: Path) -> None:
    assert broken_links(doc) == []


@pytest.mark.parametrize("doc", DOCS, ids=ids(DOCS))
def test_named_files_and_python_names_exist(doc: Path) -> None:
    assert missing_names(doc) == []


def test_the_checks_catch_broken_links_and_stale_names(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Other page\n\n## The API (`v1`)\n")
    doc = tmp_path / "doc.md"
    doc.write_text(
        "[ok](other.md#the-api-v1) [gone](missing.md) [bad anchor](other.md#nope)"
        " [web](https://example.com/x.md) [self](#a-heading)\n\n# A heading\n\n"
        "`lambda_runtime.handler.handler` `lambda_runtime.handler.nope`"
        " `gatewayproject.lambda_handler.handler` `apps/common/errors.py`"
        " `apps/common/nope.py` `gatewayproject.wsgi:application`\n"
        "```sh\n[in a code block](nowhere.md)\n```\n"
    )

    assert broken_links(doc) == [
        "missing.md: no such file",
        "other.md#nope: no heading #nope in other.md",
    ]
    assert missing_names(doc) == [
        "lambda_runtime.handler.nope",
        "gatewayproject.lambda_handler.handler",
        "apps/common/nope.py",
    ]
