"""Modules imported at init whose code runs only when something first reads from them."""

from __future__ import annotations

import importlib.util
import sys
import threading
from typing import Any


def import_lazily(name: str) -> None:
    """Put module `name` in sys.modules with its code not yet run: the first attribute read
    from it (`yaml.dump`, `from yaml import dump`) runs it, in the same module object.

    An `import name` elsewhere then costs nothing. (importlib.util.LazyLoader does not
    serve here: any attribute read runs the module, and a later `import name` reads
    `__spec__`.) Nothing happens if `name` is already imported or not installed.
    """
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    # Re-entrant: the module's own code, while it runs, may read a name it lacks so far.
    lock = threading.RLock()
    started = False

    def load(attribute: str) -> Any:  # PEP 562: called for attributes the module lacks
        nonlocal started
        with lock:  # a thread arriving while another runs the module waits for it
            if not started:
                started = True
                try:
                    spec.loader.exec_module(module)  # type: ignore[union-attr]
                finally:
                    if vars(module).get("__getattr__") is load:  # not the module's own
                        del module.__getattr__
        try:
            return vars(module)[attribute]
        except KeyError:
            raise AttributeError(f"module {name!r} has no attribute {attribute!r}") from None

    module.__getattr__ = load  # type: ignore[method-assign]
    sys.modules[name] = module
