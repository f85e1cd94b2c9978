"""Run checkov as `.venv-checkov/bin/checkov` does, with its JSONPath parse tables built once.

    .venv-checkov/bin/python tests/infra/run_checkov.py -f template.yaml --framework ...

checkov parses each attribute path it renders with bc_jsonpath_ng, which asks PLY to build
the grammar's LALR tables again for every path (`write_tables=0`: "it doesn't actually take
that long"): on infra/template.yaml, 524 builds, seven tenths of checkov's CPU. Here PLY keeps
the tables it built in a pickle file of this process's own (PLY's `picklefile` option), and
every later build of the same grammar reads them back after PLY's own check that the grammar's
signature is unchanged. The checks checkov runs and what it reports are the same.
"""

from __future__ import annotations

import os
import sys
import tempfile
import warnings
from typing import Any

import ply.yacc

_build = ply.yacc.yacc
_tables = tempfile.mkdtemp(prefix="checkov-ply-")


def _yacc(*args: Any, **kwargs: Any) -> Any:
    if not kwargs.get("picklefile"):
        grammar = type(kwargs.get("module"))
        name = f"{grammar.__module__}.{grammar.__qualname__}.{kwargs.get('start')}"
        # A file per grammar and per process (checkov may fork): never read while written.
        kwargs["picklefile"] = os.path.join(_tables, f"{name}.{os.getpid()}.pickle")
    return _build(*args, **kwargs)


def main() -> int:
    ply.yacc.yacc = _yacc
    from checkov.main import Checkov

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=SyntaxWarning)
        try:
            return int(Checkov().run() or 0)
        finally:
            for name in os.listdir(_tables):
                os.unlink(os.path.join(_tables, name))
            os.rmdir(_tables)


if __name__ == "__main__":
    sys.exit(main())
