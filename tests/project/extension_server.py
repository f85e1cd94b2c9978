"""A stand-in for the AWS Parameters and Secrets Lambda Extension's HTTP endpoint."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = "fake-session-token"


@dataclass
class FakeExtension:
    """Serves `secrets` (id -> SecretString) like GET /secretsmanager/get?secretId=..."""

    secrets: dict[str, str] = field(default_factory=dict)
    requests: list[dict[str, str]] = field(default_factory=list)
    port: int = 0

    def answer(self, path: str, token: str | None) -> tuple[int, bytes]:
        url = urllib.parse.urlsplit(path)
        secret_id = urllib.parse.parse_qs(url.query).get("secretId", [""])[0]
        self.requests.append({"path": url.path, "secretId": secret_id, "token": token or ""})
        if token != TOKEN:
            return 401, b"not authorized"
        if url.path != "/secretsmanager/get" or secret_id not in self.secrets:
            return 400, b"ResourceNotFoundException"
        body = {"ARN": secret_id, "Name": "secret", "SecretString": self.secrets[secret_id]}
        return 200, json.dumps(body).encode()


@contextmanager
def serve(extension: FakeExtension) -> Iterator[FakeExtension]:
    """Run `extension` on a free loopback port (its `port` is set) until the block ends."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body = extension.answer(
                self.path, self.headers.get("X-Aws-Parameters-Secrets-Token")
            )
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    extension.port = server.server_address[1]
    # shutdown() waits for serve_forever to notice; its default 0.5 s poll would add half a
    # second to every test that uses this server.
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield extension
    finally:
        server.shutdown()
        server.server_close()
