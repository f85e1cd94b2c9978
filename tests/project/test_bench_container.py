"""make bench-container's machinery: its clients, floor threads and variant plan (no timing)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

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
