"""lambda_runtime.lazy: a module imported lazily runs once, at the first attribute read from
it, and an `import` of it in between runs nothing."""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from lambda_runtime.lazy import import_lazily

MODULE = "lazy_probe_module"


@pytest.fixture
def module_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A package whose body counts its runs in a module-level list of `runs_log` and takes
    a moment after its first names, so readers can arrive while it runs."""
    package = tmp_path / MODULE
    package.mkdir()
    (package / "__init__.py").write_text(
        "import runs_log, time\nruns_log.RUNS.append(1)\nfrom .part import VALUE\n"
        "time.sleep(0.2)\nANSWER = 42\n"
    )
    (package / "part.py").write_text("VALUE = 'part'\n")
    (tmp_path / "runs_log.py").write_text("RUNS = []\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield package
    for name in (MODULE, f"{MODULE}.part", "runs_log"):
        sys.modules.pop(name, None)


def runs() -> int:
    return len(importlib.import_module("runs_log").RUNS)


def test_the_module_runs_at_its_first_attribute_read_not_at_import(module_source: Path) -> None:
    import_lazily(MODULE)
    module = importlib.import_module(MODULE)  # what `import lazy_probe_module` does

    assert runs() == 0
    assert f"{MODULE}.part" not in sys.modules
    assert module.ANSWER == 42
    assert runs() == 1
    assert sys.modules[MODULE] is module


def test_from_import_and_submodules_work_and_it_runs_once(module_source: Path) -> None:
    import_lazily(MODULE)

    value = importlib.import_module(MODULE).VALUE
    part = importlib.import_module(f"{MODULE}.part")

    assert (value, part.VALUE) == ("part", "part")
    assert runs() == 1
    with pytest.raises(AttributeError):
        _ = importlib.import_module(MODULE).missing


def test_threads_reading_at_once_run_it_once(module_source: Path) -> None:
    import_lazily(MODULE)
    module = importlib.import_module(MODULE)
    barrier = threading.Barrier(4)
    answers: list[int] = []

    def read() -> None:
        barrier.wait()
        answers.append(module.ANSWER)

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert answers == [42] * 4
    assert runs() == 1


def test_an_imported_module_is_left_alone(module_source: Path) -> None:
    module = importlib.import_module(MODULE)

    import_lazily(MODULE)

    assert sys.modules[MODULE] is module
    assert runs() == 1


def test_a_module_not_installed_is_ignored() -> None:
    import_lazily("no_such_module_anywhere")

    assert "no_such_module_anywhere" not in sys.modules
