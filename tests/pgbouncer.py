"""A throwaway PgBouncer in transaction mode (the local stand-in for RDS Proxy).

Started on a free loopback port with its own configuration in a temporary directory and
stopped (by its own pid) when the block ends; never left running. Debian's `pgbouncer`
package (1.18 on Debian 12: no prepared statements in transaction mode) provides the
binary. PgBouncer refuses to run as root, so as root it drops to `run_as`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SEARCH_PATH = f"{os.environ.get('PATH', '')}{os.pathsep}/usr/sbin{os.pathsep}/usr/local/sbin"
START_TIMEOUT_SECONDS = 60.0


def binary() -> str | None:
    """The pgbouncer executable, or None when it is not installed."""
    return shutil.which("pgbouncer", path=SEARCH_PATH)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class Bouncer:
    host: str
    port: int
    pool_size: int
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def _config(
    *,
    workdir: Path,
    port: int,
    server: tuple[str, int],
    databases: list[str],
    user: str,
    pool_size: int,
    max_clients: int,
) -> str:
    host, server_port = server
    lines = ["[databases]"]
    lines += [
        f"{name} = host={host} port={server_port} dbname={name} user={user}" for name in databases
    ]
    lines += [
        "[pgbouncer]",
        "listen_addr = 127.0.0.1",
        f"listen_port = {port}",
        "unix_socket_dir =",
        # Every database line names its server user; the client's name is not checked.
        "auth_type = any",
        "pool_mode = transaction",
        f"default_pool_size = {pool_size}",
        "min_pool_size = 0",
        "reserve_pool_size = 0",
        f"max_client_conn = {max_clients}",
        f"max_db_connections = {pool_size}",
        f"logfile = {workdir / 'pgbouncer.log'}",
        f"pidfile = {workdir / 'pgbouncer.pid'}",
        "log_connections = 0",
        "log_disconnections = 0",
        # psycopg 2 sends it; psycopg 3 does not. Harmless either way.
        "ignore_startup_parameters = extra_float_digits",
    ]
    return "\n".join(lines) + "\n"


def _wait_until_listening(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            text = log.read_text(errors="replace") if log.exists() else ""
            raise RuntimeError(f"pgbouncer exited with {process.returncode}: {text[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"pgbouncer did not listen on port {port} within {START_TIMEOUT_SECONDS}s")


@contextmanager
def pgbouncer(
    *,
    databases: list[str],
    server: tuple[str, int] = ("127.0.0.1", 5432),
    user: str = "postgres",
    pool_size: int = 8,
    max_clients: int = 200,
    run_as: str = "postgres",
) -> Iterator[Bouncer]:
    """Run PgBouncer for `databases` (same names on the server) for the block's duration."""
    executable = binary()
    if executable is None:
        raise RuntimeError("pgbouncer is not installed (Debian: apt-get install pgbouncer)")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="pgbouncer-") as tmp:
        workdir = Path(tmp)
        config = workdir / "pgbouncer.ini"
        config.write_text(
            _config(
                workdir=workdir,
                port=port,
                server=server,
                databases=databases,
                user=user,
                pool_size=pool_size,
                max_clients=max_clients,
            )
        )
        command = [executable, "-q", str(config)]
        if os.geteuid() == 0:
            shutil.chown(workdir, run_as)
            command[1:1] = ["-u", run_as]
        log = workdir / "pgbouncer.log"
        process = subprocess.Popen(  # noqa: S603
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            _wait_until_listening(process, port, log)
            yield Bouncer("127.0.0.1", port, pool_size, log)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
