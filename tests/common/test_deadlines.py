"""The deadline watchdog's thread: one per process, a forked child starting its own."""

from __future__ import annotations

import os
import threading

import pytest

from apps.common.deadlines import Watchdog

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")


def _watchdog_threads() -> int:
    return sum(thread.name == "db-deadlines" for thread in threading.enumerate())


def test_a_forked_child_starts_its_own_watchdog_thread() -> None:
    watch = Watchdog(interval=60)
    watch.disarm(watch.arm(30))  # the parent's thread runs
    started = _watchdog_threads()
    watch.disarm(watch.arm(30))
    assert _watchdog_threads() == started  # once per process, not per deadline

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: only the forking thread survived
        try:
            before = _watchdog_threads()
            watch.disarm(watch.arm(30))
            os.write(write, f"{before} {_watchdog_threads()}".encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        answer = pipe.read()
    os.waitpid(pid, 0)

    assert answer == "0 1"
