"""gunicorn settings for the container variant (infra/Dockerfile, ECS Fargate behind an ALB).

Loaded once by the gunicorn master before it forks workers, so the environment changes made
here reach every worker before Django reads its settings.
"""

from __future__ import annotations

import json
import os
import urllib.request
from http import HTTPStatus
from typing import Any

# gthread keeps connections alive: the ALB reuses them (its idle timeout is 60 s, so ours is
# longer, or the ALB can send on a connection gunicorn just closed and answer 502). Its
# threads also run while one waits on the database: with 0.5-5 ms each way on every database
# round trip (RDS is across a network), 1.7-2.6x the requests/s of sync workers with the same
# processes, as much as 5 sync workers (make bench-container with --db-delay-ms;
# docs/scaling.md, the container's worker model).
bind = [f"0.0.0.0:{os.environ.get('PORT', '8000')}"]
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
keepalive = 75
# Below API Gateway's 30 s integration limit.
timeout = 28
graceful_timeout = 20
# /tmp is the task's writable volume; the root filesystem is read-only.
worker_tmp_dir = "/tmp"  # noqa: S108
# The app writes one JSON line per request itself (apps.common.middleware).
accesslog = None
errorlog = "-"

# Never refuse what API Gateway passed on. An HTTP API forwards a request line and header
# values of up to 10,240 bytes together, and the ALB before the task a request line and a
# header of up to 16 KiB each, 64 KiB of headers in all; gunicorn's defaults refused a
# request line over 4,094 bytes (414), a header over 8,190 or a 101st header (431).
# https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html
# https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html
limit_request_line = 0  # No limit of gunicorn's own (it caps any other value at 8,190).
limit_request_field_size = 16 * 1024
limit_request_fields = 32768  # gunicorn's most; the ALB's 64 KiB bounds the total.

LOOPBACK_HOSTS = ("127.0.0.1", "localhost")
METADATA_VARIABLE = "ECS_CONTAINER_METADATA_URI_V4"


def task_addresses(metadata_uri: str | None) -> list[str]:
    """The task's private IPv4 addresses from the ECS task metadata endpoint (v4), if any:
    https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-metadata-endpoint-v4.html
    """
    if not metadata_uri or not metadata_uri.startswith("http://"):
        return []
    try:
        with urllib.request.urlopen(metadata_uri, timeout=2) as response:  # noqa: S310
            container: Any = json.loads(response.read())
    except (OSError, ValueError):
        return []
    networks = container.get("Networks") if isinstance(container, dict) else None
    return [
        str(address)
        for network in networks or []
        if isinstance(network, dict)
        for address in network.get("IPv4Addresses") or []
    ]


def json_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's own refusals (a malformed request line or header, a bad chunk size) in the
    project's error shape, `{"message": ...}`, instead of an HTML page. Same signature as
    gunicorn.util.write_error, which it replaces in each worker (post_worker_init)."""
    from gunicorn import util

    try:
        phrase = HTTPStatus(status_int).phrase
    except ValueError:
        phrase = reason
    body = json.dumps({"message": phrase}, separators=(",", ":"))
    head = (
        f"HTTP/1.1 {status_int} {phrase}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, (head + body).encode("latin-1"))


def post_worker_init(worker: Any) -> None:
    from gunicorn import util

    util.write_error = json_error


def allowed_hosts(configured: str, extra: list[str]) -> str:
    """DJANGO_ALLOWED_HOSTS plus `extra`, without duplicates.

    The ALB's health checks send the task's IP as Host, and the image's HEALTHCHECK sends
    127.0.0.1: both must pass Django's host validation.
    """
    hosts = [host.strip() for host in configured.split(",") if host.strip()]
    return ",".join(hosts + [host for host in extra if host not in hosts])


# Left unset, production settings stop with an error naming the variable.
if os.environ.get("DJANGO_ALLOWED_HOSTS"):
    os.environ["DJANGO_ALLOWED_HOSTS"] = allowed_hosts(
        os.environ["DJANGO_ALLOWED_HOSTS"],
        [*LOOPBACK_HOSTS, *task_addresses(os.environ.get(METADATA_VARIABLE))],
    )
