"""The kept verdicts (results_cache.py): a verdict is reused only for the same text, tools and
code; anything else, a broken template first, runs its tool again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.infra import pipeline, results_cache
from tests.infra.mutants import MUTANTS


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A cache of the test's own, on even when the run has INFRA_CACHE=off."""
    monkeypatch.delenv("INFRA_CACHE", raising=False)
    kept = results_cache.directory
    results_cache.configure(tmp_path / "cache")
    yield tmp_path / "cache"
    results_cache.directory = kept


class Tool:
    """A stand-in tool that counts its runs and reports a finding for texts with a tab."""

    def __init__(self) -> None:
        self.runs: list[str] = []

    def __call__(self, text: str, tools: str = "tool==1") -> list[str]:
        def run() -> list[str]:
            self.runs.append(text)
            return ["a tab"] if "\t" in text else []

        return results_cache.cached("tool", text, tools, run)


def test_the_same_text_and_tools_run_the_tool_once(cache_dir: Path) -> None:
    tool = Tool()

    assert tool("Resources: {}") == []
    assert tool("Resources: {}") == []

    assert tool.runs == ["Resources: {}"]
    assert len(list(cache_dir.glob("*.json.z"))) == 1


def test_a_broken_text_is_run_again_and_caught(cache_dir: Path) -> None:
    tool = Tool()
    tool("Resources: {}")

    assert tool("Resources:\t{}") == ["a tab"]
    assert tool("Resources:\t{}") == ["a tab"]  # a kept failure is still a failure
    assert tool.runs == ["Resources: {}", "Resources:\t{}"]


def test_another_tool_version_runs_the_tool_again(cache_dir: Path) -> None:
    tool = Tool()
    tool("Resources: {}", "tool==1")
    tool("Resources: {}", "tool==2")

    assert len(tool.runs) == 2


def test_a_change_to_the_pipeline_code_runs_the_tool_again(
    cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = tmp_path / "pipeline.py"
    code.write_text("REGION = 'eu-west-1'\n")
    monkeypatch.setattr(results_cache, "CODE", (code,))
    tool = Tool()
    tool("Resources: {}")

    code.write_text("REGION = 'us-east-1'\n")
    tool("Resources: {}")

    assert len(tool.runs) == 2


def test_the_environment_the_tools_read_is_part_of_the_key(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tool = Tool()
    tool("Resources: {}")
    monkeypatch.setenv("CKV_FRAMEWORK", "terraform")
    tool("Resources: {}")

    assert len(tool.runs) == 2


def test_a_damaged_entry_is_run_again(cache_dir: Path) -> None:
    tool = Tool()
    tool("Resources:\t{}")
    for entry in cache_dir.glob("*.json.z"):
        entry.write_bytes(b"not zlib")

    assert tool("Resources:\t{}") == ["a tab"]
    assert len(tool.runs) == 2


def test_infra_cache_off_runs_every_tool(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INFRA_CACHE", "off")
    results_cache.configure(cache_dir)
    tool = Tool()
    tool("Resources: {}")
    tool("Resources: {}")

    assert len(tool.runs) == 2


def test_old_entries_are_removed(cache_dir: Path) -> None:
    import os
    import time

    old, fresh = cache_dir / "old.json.z", cache_dir / "fresh.json.z"
    old.write_bytes(b""), fresh.write_bytes(b"")
    ago = time.time() - results_cache.KEEP_SECONDS - 60
    os.utime(old, (ago, ago))

    results_cache.configure(cache_dir)

    assert not old.exists()
    assert fresh.exists()


def test_the_key_names_every_tool_version() -> None:
    from importlib.metadata import version

    tools = results_cache.python_tools()
    for name in ("cfn-lint", "aws-sam-translator", "PyYAML", "jsonschema"):
        assert f"=={version(name)}" in tools, name
    checkov = results_cache.checkov_tools(pipeline.CHECKOV_BIN)
    assert "checkov-" in checkov


def test_a_kept_clean_transform_does_not_hide_a_broken_template(
    clean_run: pipeline.PipelineResult, template_text: str
) -> None:
    """The real template's transform is kept (clean_run); a broken copy is its own entry."""
    broken = next(m for m in MUTANTS if m.stage == pipeline.SAM_TRANSFORM).apply(template_text)

    assert pipeline.sam_transform(template_text) == (clean_run.transformed, [])
    template, problems = pipeline.sam_transform(broken)

    assert template is None
    assert problems
