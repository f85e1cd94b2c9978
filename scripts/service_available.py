"""Exit 0 when a service answers, 1 to skip it, 2 when CI requires it and it is down.

Usage: service_available.py postgres|redis URL
"""

from __future__ import annotations

import os
import socket
import sys
from urllib.parse import urlsplit


def address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    default = 6379 if parts.scheme.startswith("redis") else 5432
    return parts.hostname or "127.0.0.1", parts.port or default


def reachable(url: str) -> str | None:
    """None when a TCP connection and a protocol hello succeed, else the reason."""
    host, port = address(url)
    try:
        with socket.create_connection((host, port), timeout=3) as sock:
            if url.startswith("redis"):
                sock.sendall(b"PING\r\n")
                if not sock.recv(64).startswith((b"+PONG", b"-NOAUTH")):
                    return "it did not answer PING"
    except OSError as exc:
        return str(exc)
    return None


def main() -> int:
    name, url = sys.argv[1], sys.argv[2]
    reason = reachable(url)
    if reason is None:
        return 0
    host, port = address(url)
    shown = f"{host}:{port}"
    if os.environ.get("CI"):
        print(f"ERROR: {name} at {shown} is required when CI is set: {reason}", file=sys.stderr)
        return 2
    print(
        f"SKIPPED: {name} is not reachable at {shown} ({reason}); "
        f"its tests are skipped. Set CI=1 to require it.",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
