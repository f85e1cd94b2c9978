"""A deadline on a request's database work, enforced from outside the call that waits.

PostgreSQL's statement_timeout and libpq's connect_timeout bound a server that is slow; they
cannot bound one that accepted the connection and went silent (a stuck proxy, a frozen
host): the thread would wait for a reply forever. One watchdog thread per process wakes when
the earliest armed deadline falls due (and every WATCHDOG_INTERVAL while none is armed) and,
for every deadline that has passed, shuts the socket of the waiting thread's PostgreSQL
connection (or interrupts its SQLite call). The blocked call
then fails at once with an OperationalError, which the project answers with a JSON 503; the
broken connection fails Django's health check and is replaced on the next request.
"""

from __future__ import annotations

import itertools
import logging
import math
import os
import socket
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

logger = logging.getLogger(__name__)

# While no deadline is armed, the watchdog looks again this often; an armed one is enforced
# when it falls due, whatever this is.
WATCHDOG_INTERVAL = 1.0


def interrupt(wrapper: BaseDatabaseWrapper) -> bool:
    """Make whatever call is waiting on this connection fail now; True if there was one."""
    conn: Any = wrapper.connection
    if conn is None:
        return False
    try:
        if wrapper.vendor == "postgresql":
            # Shut the socket down, never close it: the descriptor still belongs to libpq,
            # and a closed number could be reused by another thread's new file.
            with socket.socket(fileno=os.dup(conn.pgconn.socket)) as sock:
                sock.shutdown(socket.SHUT_RDWR)
        elif wrapper.vendor == "sqlite":
            conn.interrupt()  # sqlite3 allows this from another thread.
        else:
            return False
    except Exception:  # Already closed (psycopg raises its own types): nothing waits on it.
        return False
    return True


class Watchdog:
    """Deadlines armed by request threads, enforced by one daemon thread per process.

    The thread sleeps until the earliest armed deadline falls due, not in short polls: a
    request that meets its deadline (nearly all of them) costs it no wake-up, and a steady
    stream of requests wakes it about once per deadline length (each new deadline is due
    after the one it sleeps towards).
    """

    def __init__(self, interval: float = WATCHDOG_INTERVAL) -> None:
        self.interval = interval
        self.fired = 0
        self.wakeups = 0  # times the thread looked at the armed deadlines
        self._armed: dict[int, tuple[float, list[BaseDatabaseWrapper]]] = {}
        self._ids = itertools.count()
        self._lock = threading.Lock()
        self._wakeup = threading.Condition(self._lock)
        # When the thread looks next (monotonic): arm() wakes it only for a deadline due
        # sooner (the first one, or a shorter one than it sleeps towards).
        self._wake_at = -math.inf
        # Whether this process runs the thread: cleared in a forked child (only the forking
        # thread survives a fork), which then starts its own on first use. Told by fork
        # itself rather than by comparing os.getpid() (a system call) on every request.
        self._running = False
        _watchdogs.add(self)

    def arm(self, seconds: float) -> int:
        """Start a deadline over the calling thread's database connections."""
        self._ensure_running()
        # The thread's own wrappers (connections are per thread), created if need be: cheap,
        # no connection is opened until a query needs one.
        wrappers = [connections[alias] for alias in connections]
        due = time.monotonic() + seconds
        with self._lock:
            token = next(self._ids)
            self._armed[token] = (due, wrappers)
            if due < self._wake_at:
                self._wake_at = due
                self._wakeup.notify()
        return token

    def disarm(self, token: int) -> None:
        # Under the lock: once this returns, the watchdog can no longer touch this
        # request's connections (which the thread's next request will use).
        with self._lock:
            self._armed.pop(token, None)

    def check(self, now: float) -> int:
        """Enforce every deadline that has passed by `now`; how many fired."""
        with self._lock:
            return self._enforce(now)

    def _enforce(self, now: float) -> int:
        expired = [token for token, (due, _) in self._armed.items() if due <= now]
        for token in expired:
            _, wrappers = self._armed.pop(token)
            if any([interrupt(wrapper) for wrapper in wrappers]):
                self.fired += 1
                logger.warning("Database deadline passed: connection interrupted")
        return len(expired)

    def _ensure_running(self) -> None:
        if self._running:
            return
        with self._lock:  # First use in this process (a forked worker starts its own).
            if not self._running:
                self._wake_at = -math.inf  # No thread sleeps here yet (or after a fork).
                thread = threading.Thread(target=self._run, name="db-deadlines", daemon=True)
                thread.start()
                self._running = True

    def _run(self) -> None:
        with self._lock:
            while True:
                now = time.monotonic()
                self.wakeups += 1
                self._enforce(now)
                self._wake_at = min(
                    (due for due, _ in self._armed.values()), default=now + self.interval
                )
                # Releases the lock while it waits; arm() notifies for a sooner deadline.
                self._wakeup.wait(max(0.0, self._wake_at - now))


# Every watchdog of this process, for the fork hook below (tests make their own).
_watchdogs: weakref.WeakSet[Watchdog] = weakref.WeakSet()


def _forked() -> None:
    """In a forked child: no watchdog thread runs here, and the parent's lock may have been
    held by its thread at the moment of the fork (a child waiting for it would wait forever);
    the parent's armed deadlines are its own threads' business. Each watchdog starts over."""
    for each in list(_watchdogs):
        each._lock = threading.Lock()
        each._wakeup = threading.Condition(each._lock)
        each._armed = {}
        each._running = False


os.register_at_fork(after_in_child=_forked)

watchdog = Watchdog()


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Database calls made inside the block fail once `seconds` have passed (0: no deadline)."""
    if seconds <= 0:
        yield
        return
    token = watchdog.arm(seconds)
    try:
        yield
    finally:
        watchdog.disarm(token)
