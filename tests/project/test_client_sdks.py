"""scripts/client_sdks.py, the driver of `make clients` and `make test-clients`: the stale
check names what differs, node is optional except in CI, node_modules caches stay atomic."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from tests.scripts import load_script


@pytest.fixture(scope="module")
def sdks() -> ModuleType:
    return load_script("scripts/client_sdks.py")


def tree(top: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (top / name).parent.mkdir(parents=True, exist_ok=True)
        (top / name).write_text(text)
    return top


def test_identical_output_is_current(sdks: ModuleType, tmp_path: Path) -> None:
    files = {"a.py": "x = 1\n", "api/b.py": "y = 2\n"}
    fresh, kept = tree(tmp_path / "fresh", files), tree(tmp_path / "kept", files)
    (kept / "api" / "__pycache__").mkdir()
    (kept / "api" / "__pycache__" / "b.pyc").write_bytes(b"\0")

    assert sdks.differences(fresh, kept) == []


def test_a_stale_client_names_each_difference(sdks: ModuleType, tmp_path: Path) -> None:
    fresh = tree(tmp_path / "fresh", {"a.py": "x = 2\n", "new.py": "", "same.py": "s\n"})
    kept = tree(tmp_path / "kept", {"a.py": "x = 1\n", "old.py": "", "same.py": "s\n"})

    problems = sdks.differences(fresh, kept)

    assert problems[:2] == ["missing new.py", "not generated old.py"]
    assert len(problems) == 3
    assert "-x = 1" in problems[2]
    assert "+x = 2" in problems[2]


def test_one_file_compares_too(sdks: ModuleType, tmp_path: Path) -> None:
    fresh = tree(tmp_path / "fresh", {"schema.ts": "a\n"}) / "schema.ts"
    kept = tree(tmp_path / "kept", {"schema.ts": "b\n"}) / "schema.ts"

    assert len(sdks.differences(fresh, kept)) == 1
    assert sdks.differences(fresh, fresh) == []


def test_without_node_the_typescript_leg_is_skipped_except_in_ci(
    sdks: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sdks.shutil, "which", lambda name: None)
    monkeypatch.delenv("CI", raising=False)
    sdks.node_available.cache_clear()

    assert sdks.node_available() is False
    assert "node/npm not found" in capsys.readouterr().out

    sdks.node_available.cache_clear()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(SystemExit, match="not allowed when CI is set"):
        sdks.node_available()
    sdks.node_available.cache_clear()


def test_a_cached_node_modules_replaces_older_locks_only(sdks: ModuleType, tmp_path: Path) -> None:
    built = tree(tmp_path / "pkg" / "node_modules", {".lock-hash": "new", "x/index.js": "1"})
    cache = tmp_path / "cache"
    tree(cache / "typescript-old", {".lock-hash": "old"})
    tree(cache / "openapi-other", {".lock-hash": "other"})

    sdks.keep_in_cache(built, cache / "typescript-new")

    assert sorted(path.name for path in cache.iterdir()) == ["openapi-other", "typescript-new"]
    assert (cache / "typescript-new" / "x" / "index.js").read_text() == "1"
    sdks.keep_in_cache(built, cache / "typescript-new")  # already there: left as it is
    assert (cache / "typescript-new" / ".lock-hash").read_text() == "new"
