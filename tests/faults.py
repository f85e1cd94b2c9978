"""Faults for the fault tests: a server that never answers, a TCP proxy in front of a real
service that can refuse, drop or stall its connections, and a disk that fills up.

The network ones listen on a free loopback port, run in daemon threads of the test process
and are shut down (every socket closed) when their `with` block ends.
"""

from __future__ import annotations

import contextlib
import os
import queue
import select
import shutil
import socket
import struct
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType


def _listener() -> socket.socket:
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    return server


def _reset(sock: socket.socket) -> None:
    """Close with an RST (SO_LINGER 0), as a crashed server or a dropped route looks."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class SilentServer:
    """Accepts TCP connections, reads what it is sent, and never answers."""

    def __init__(self) -> None:
        self._server = _listener()
        self.port: int = self._server.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> SilentServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.close()
        for conn in self.accepted:
            _reset(conn)

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = self._server.accept()
                self.accepted.append(conn)


class FaultProxy:
    """Relays TCP to `target` until told otherwise.

    - `stall()`: stop relaying in both directions; sockets stay open (a frozen server).
    - `drop()`: reset every open connection (a crash, a failover).
    - `refuse()`: reset new connections as they arrive (a server that is down).
    - `heal()`: relay again, for new connections (recovery).
    - `delay` (seconds, settable at any time): hold every chunk that long before passing it
      on, in each direction, as a network between client and server would; a request and its
      answer take at least twice `delay` longer. Chunks keep their order, and a delay line
      sends on one while it holds the next (a latency, not a bandwidth limit).
    """

    def __init__(self, target: tuple[str, int], delay: float = 0.0) -> None:
        self.target = target
        self.delay = delay
        self.chunks = 0  # relayed client -> target: about one per round trip
        self._lines: dict[socket.socket, _DelayLine] = {}
        self._server = _listener()
        self.port: int = self._server.getsockname()[1]
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self._relaying = threading.Event()
        self._relaying.set()
        self._refusing = False
        self._closed = False

    def __enter__(self) -> FaultProxy:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._closed = True
        self._server.close()
        self._relaying.set()
        self.drop()

    def stall(self) -> None:
        self._relaying.clear()

    def heal(self) -> None:
        self._refusing = False
        self._relaying.set()

    def refuse(self) -> None:
        self._refusing = True

    def drop(self) -> None:
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for client, upstream in pairs:
            _reset(client)
            _reset(upstream)

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._pairs)

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while not self._closed:
                client, _ = self._server.accept()
                if self._refusing:
                    _reset(client)
                    continue
                try:
                    upstream = socket.create_connection(self.target, timeout=5)
                except OSError:
                    _reset(client)
                    continue
                upstream.settimeout(None)
                with self._lock:
                    self._pairs.append((client, upstream))
                threading.Thread(target=self._relay, args=(client, upstream), daemon=True).start()

    def _relay(self, client: socket.socket, upstream: socket.socket) -> None:
        peers = {client: upstream, upstream: client}
        with contextlib.suppress(OSError, ValueError):
            while not self._closed and self._pump(peers):
                pass
        with self._lock:
            if (client, upstream) in self._pairs:
                self._pairs.remove((client, upstream))
            lines = [self._lines.pop(sock) for sock in (client, upstream) if sock in self._lines]
        for line in lines:
            line.close()  # sends what it holds first, while the sockets are still open
        client.close()
        upstream.close()

    def _pump(self, peers: dict[socket.socket, socket.socket]) -> bool:
        """Relay what is waiting; False once either side has closed."""
        self._relaying.wait()
        readable, _, _ = select.select(list(peers), [], [], 0.1)
        if not self._relaying.is_set():
            return True  # Stalled while waiting: leave the bytes unread.
        for sock in readable:
            data = sock.recv(65536)
            if not data:
                return False
            if sock is next(iter(peers)):  # the client's (see _relay)
                self.chunks += 1
            self._send(peers[sock], data)
        return True

    def _send(self, destination: socket.socket, data: bytes) -> None:
        line = self._lines.get(destination)
        if line is None and not self.delay:
            destination.sendall(data)
            return
        if line is None:  # once a socket has a delay line, all its bytes go through it
            line = _DelayLine(destination)
            with self._lock:
                self._lines[destination] = line
        line.put(time.monotonic() + self.delay, data)


class _DelayLine:
    """Sends chunks to one socket, each at its due time, in order, from a thread of its own."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._queue: queue.SimpleQueue[tuple[float, bytes] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def put(self, due: float, data: bytes) -> None:
        self._queue.put((due, data))

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=5)

    def _run(self) -> None:
        with contextlib.suppress(OSError):
            while (item := self._queue.get()) is not None:
                due, data = item
                if (wait := due - time.monotonic()) > 0:
                    time.sleep(wait)
                self._sock.sendall(data)


@contextlib.contextmanager
def silent_server() -> Iterator[SilentServer]:
    with SilentServer() as server:
        yield server


class SmallDisk:
    """A directory on a filesystem of its own with `size` bytes: writes past it fail with
    ENOSPC, as on a full disk. A tmpfs mounted for the test (needs root; else `real` is False
    and `fill()` cannot make the disk full, so callers skip)."""

    def __init__(self, path: Path, size: int) -> None:
        self.path = path
        self.size = size
        self.real = False
        self._filler = path / ".filler"

    def __enter__(self) -> SmallDisk:
        self.path.mkdir(parents=True, exist_ok=True)
        if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("mount"):
            mounted = subprocess.run(  # noqa: S603
                ["mount", "-t", "tmpfs", "-o", f"size={self.size}", "tmpfs", str(self.path)],  # noqa: S607
                capture_output=True,
                check=False,
            )
            self.real = mounted.returncode == 0
        return self

    def __exit__(self, *exc: object) -> None:
        if self.real:
            subprocess.run(["umount", "-l", str(self.path)], capture_output=True, check=False)  # noqa: S603, S607

    def fill(self, leave: int) -> None:
        """Take all the space but `leave` bytes."""
        free = shutil.disk_usage(self.path).free
        with self._filler.open("wb") as filler:
            filler.write(b"\0" * max(0, free - leave))

    def free_up(self) -> None:
        self._filler.unlink(missing_ok=True)

    def files(self) -> set[str]:
        return {
            str(p.relative_to(self.path))
            for p in self.path.rglob("*")
            if p.is_file() and p != self._filler
        }
