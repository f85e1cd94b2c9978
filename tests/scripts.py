"""Load a benchmark or script (not a package module) by path, for tests of its machinery."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def load_script(relative_path: str) -> ModuleType:
    """`benchmarks/bench_photos.py` as the module `bench_photos`, registered in sys.modules
    (dataclasses and pickling look their module up there), its directory on sys.path."""
    path = ROOT / relative_path
    # As running it would: its own directory first on the path, for its sibling imports.
    if str(path.parent) not in sys.path:
        sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module
