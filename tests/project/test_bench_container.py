"""make bench-container's machinery: its clients, floor threads, variant plan and database
delay (no timing but lower bounds on the delay it adds)."""

from __future__ import annotations

import argparse
import contextlib
import http.server
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.faults import FaultProxy
from tests.scripts import load_script


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_script("benchmarks/bench_container.py")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive unless the response says close
    connections: list[int]
    paths: list[str]

    def setup(self) -> None:
        super().setup()
        self.connections.append(1)

    def do_GET(self) -> None:
        self.paths.append(self.path)
        status = 200 if self.path != "/teapot" else 418
        body = b'{"ok": true}'
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        if self.path == "/close":  # a gunicorn sync worker closes every connection
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[int, type[Handler]]]:
    handler = type("Recording", (Handler,), {"connections": [], "paths": []})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1], handler
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_keep_alive_clients_reuse_one_connection_each(
    bench: ModuleType, server: tuple[int, type[Handler]]
) -> None:
    port, handler = server

    latencies, seconds = bench.http_round(port, bench.http_request("/pet", "k"), 3, 5)

    assert len(latencies) == 15
    assert seconds > 0
    assert len(handler.connections) == 3
    assert handler.paths == ["/pet"] * 15


def test_a_server_that_closes_gets_a_new_connection_per_request(
    bench: ModuleType, server: tuple[int, type[Handler]]
) -> None:
    port, handler = server

    latencies, _ = bench.http_round(port, bench.http_request("/close", "k"), 2, 4)

    assert len(latencies) == 8
    assert len(handler.connections) == 8


def test_an_answer_other_than_200_stops_the_run(
    bench: ModuleType, server: tuple[int, type[Handler]]
) -> None:
    port, _ = server

    with pytest.raises(SystemExit, match="418"):
        bench.http_round(port, bench.http_request("/teapot", "k"), 1, 1)


def test_the_request_carries_the_key_and_the_gateways_scheme_header(bench: ModuleType) -> None:
    request = bench.http_request("/v1/pets/7", "pre.secret").decode()

    assert request.startswith("GET /v1/pets/7 HTTP/1.1\r\n")
    assert "\r\nx-api-key: pre.secret\r\n" in request
    assert "\r\nX-Gateway-Forwarded-Proto: https\r\n" in request
    assert request.endswith("\r\n\r\n")


def test_the_floor_threads_each_make_their_calls(bench: ModuleType) -> None:
    seen: list[str] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append(environ["HTTP_X_API_KEY"])
        start_response("200 OK", [])
        return [b"{}"]

    environ = bench.wsgi_environ("/v1/pets/1", "pre.secret", threaded=True)
    result = bench.threaded_calls(app, environ, threads=4, count=3)

    assert len(result["ms"]) == 12
    assert seen == ["pre.secret"] * 12
    assert result["end"] >= result["start"]


def test_a_floor_answer_other_than_200_stops_the_run(bench: ModuleType) -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("301 Moved Permanently", [])
        return []

    with pytest.raises(SystemExit, match="301"):
        bench.call(app, bench.wsgi_environ("/v1/pets/1", "k", threaded=False))


def test_the_plan_reads_the_containers_config_and_twins_its_worker_model(
    bench: ModuleType,
) -> None:
    worker_class, workers, threads = bench.container_config()
    names = [v.name for v in bench.plan((worker_class, workers, threads), cpus=2)]

    assert names[:2] == ["floor-1x1", "floor-1x8"]
    assert "sync-5" in names  # gunicorn's 2 x CPUs + 1
    assert names[-1].endswith("-aa")
    twin = names[-1].removesuffix("-aa")
    assert twin.startswith(worker_class)
    assert twin in names


@pytest.mark.parametrize(
    ("config", "twin"), [(("sync", 3, 1), "sync-3-aa"), (("gthread", 2, 4), "gthread-2x4-aa")]
)
def test_the_a_a_twin_follows_the_config(
    bench: ModuleType, config: tuple[str, int, int], twin: str
) -> None:
    names = [v.name for v in bench.plan(config, cpus=2)]

    assert names[-1] == twin
    assert len(names) == len(set(names))


def test_the_callgrind_wrapper_answers_its_control_paths_and_passes_the_rest(
    bench: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    class Client:
        def bench_zero(self) -> None:
            calls.append("zero")

        def bench_dump(self, label: bytes) -> None:
            calls.append(f"dump {label.decode()}")

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        calls.append(f"app {environ['PATH_INFO']}")
        start_response("200 OK", [])
        return [b"{}"]

    monkeypatch.setattr(bench, "callgrind_client", Client)
    wrapped = bench.callgrind_control(app)
    for path in ("/__callgrind__/zero", "/v1/pets/1", "/__callgrind__/dump"):
        wrapped({"PATH_INFO": path}, lambda status, headers: None)

    assert calls == ["zero", "app /v1/pets/1", "dump counted"]


# --- --db-delay-ms: the database's network, a delaying proxy ---------------------------------


@pytest.fixture
def echo() -> Iterator[int]:
    """A TCP server that sends back what it reads, on each connection."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve(conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            while data := conn.recv(65536):
                conn.sendall(data)

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                threading.Thread(target=serve, args=(server.accept()[0],), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield server.getsockname()[1]
    finally:
        server.close()


def round_trip(sock: socket.socket, data: bytes) -> float:
    """Seconds from sending `data` until all of it has come back."""
    started = time.monotonic()
    sock.sendall(data)
    received = b""
    while len(received) < len(data):
        received += sock.recv(65536)
    assert received == data
    return time.monotonic() - started


def test_the_proxy_holds_each_direction_for_its_delay(echo: int) -> None:
    with FaultProxy(("127.0.0.1", echo), delay=0.05) as proxy:
        sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=10)
        with sock:
            seconds = round_trip(sock, b"ping")

    assert seconds >= 2 * 0.05  # there and back; no upper bound: the machine may be busy


def test_a_delay_set_later_applies_to_open_connections_and_keeps_the_order(echo: int) -> None:
    with FaultProxy(("127.0.0.1", echo)) as proxy:
        sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=10)
        with sock:
            round_trip(sock, b"before")
            proxy.delay = 0.04
            started = time.monotonic()
            for part in (b"a", b"b", b"c"):  # three chunks in flight at once
                sock.sendall(part)
                time.sleep(0.005)
            received = b""
            while len(received) < 3:
                received += sock.recv(65536)
            seconds = time.monotonic() - started
            proxy.delay = 0.0
            round_trip(sock, b"after")  # through the same delay line, now without delay

    assert received == b"abc"
    assert seconds >= 2 * 0.04
    assert proxy.chunks >= 3  # before, after, and a, b, c in one chunk or more


def test_without_a_delay_the_proxy_relays_as_before(echo: int) -> None:
    with FaultProxy(("127.0.0.1", echo)) as proxy:
        sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=10)
        with sock:
            round_trip(sock, b"x" * 200_000)

        assert not proxy._lines  # no delay line was ever needed


def test_the_bench_proxy_process_rewrites_the_url_and_applies_each_delay(
    bench: ModuleType, echo: int, tmp_path: Path
) -> None:
    with (tmp_path / "log").open("wb") as log:
        proxy = bench.DatabaseProxy(f"postgres://bench@127.0.0.1:{echo}/bench_db", log)
        try:
            host_port = proxy.url.removeprefix("postgres://bench@").removesuffix("/bench_db")
            port = int(host_port.removeprefix("127.0.0.1:"))
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            with sock:
                before = proxy.set_delay(0)
                round_trip(sock, b"undelayed")
                relayed = proxy.set_delay(60)
                seconds = round_trip(sock, b"delayed")
                after = proxy.set_delay(0)
        finally:
            proxy.close()

    assert port != echo
    assert (before, relayed, after) == (0, 1, 2)  # one chunk to the server per round trip
    assert seconds >= 2 * 0.060
    assert proxy.proc.returncode == 0


def test_each_delay_measures_the_same_servers_separately(bench: ModuleType) -> None:
    variant = bench.Variant("sync-2", "gunicorn", 2, 1, "sync", port=8123)
    variant.rounds.append((100.0, 5.0))

    one, five = variant.at_delay(1.0), variant.at_delay(5.0)
    one.rounds.append((50.0, 9.0))

    assert (one.port, one.procs, one.delay_ms, five.delay_ms) == (8123, variant.procs, 1.0, 5.0)
    assert one.procs is variant.procs  # stopping the variant stops every delay's copy
    assert (variant.rounds, one.rounds, five.rounds) == ([(100.0, 5.0)], [(50.0, 9.0)], [])


def test_delays_are_distinct_and_not_negative(bench: ModuleType) -> None:
    assert bench.delays("0,1,5") == [0.0, 1.0, 5.0]
    assert bench.delays("0.5") == [0.5]
    for bad in ("", "1,1", "-1", "1,x"):
        with pytest.raises((argparse.ArgumentTypeError, ValueError)):
            bench.delays(bad)
