"""The deadline watchdog's thread: one per process, a forked child starting its own."""

from __future__ import annotations

import os
import select
import signal
import threading

import pytest

from apps.common.deadlines import Watchdog

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")

# Generous: the child does a few microseconds of work; the limit only turns a deadlock into a
# failure instead of a hung test run.
CHILD_LIMIT = 60.0


def _watchdog_threads() -> int:
    return sum(thread.name == "db-deadlines" for thread in threading.enumerate())


def _in_forked_child(watch: Watchdog, before_fork: threading.Event | None = None) -> str:
    """Fork; in the child arm and disarm `watch` and report the watchdog threads before and
    after; the child's answer, or a failure if it does not come."""
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
    try:
        ready, _, _ = select.select([read], [], [], CHILD_LIMIT)
        answer = os.read(read, 100).decode() if ready else ""
    finally:
        os.close(read)
        if not answer:
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    assert answer, f"the forked child did not answer within {CHILD_LIMIT:.0f} s (deadlocked)"
    return answer


def test_a_forked_child_starts_its_own_watchdog_thread() -> None:
    watch = Watchdog(interval=60)
    watch.disarm(watch.arm(30))  # the parent's thread runs
    started = _watchdog_threads()
    watch.disarm(watch.arm(30))
    assert _watchdog_threads() == started  # once per process, not per deadline

    assert _in_forked_child(watch) == "0 1"


def test_a_child_forked_while_the_parent_holds_the_lock_does_not_wait_for_it() -> None:
    watch = Watchdog(interval=60)
    watch.disarm(watch.arm(30))
    # The moment a fork can catch: the parent's watchdog thread inside its locked section.
    with watch._lock:
        answer = _in_forked_child(watch)

    assert answer == "0 1"
    watch.disarm(watch.arm(30))  # the parent's lock is its own again
