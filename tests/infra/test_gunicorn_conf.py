"""infra/gunicorn.conf.py: the hosts the container must accept, and its server settings."""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Iterator
from types import ModuleType

import pytest

from tests.infra.cfn import ROOT
from tests.project.extension_server import FakeExtension, serve

CONF = ROOT / "infra" / "gunicorn.conf.py"


def load_conf() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gunicorn_conf", CONF)
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Metadata(FakeExtension):
    body = b'{"Networks": [{"NetworkMode": "awsvpc", "IPv4Addresses": ["10.0.3.7"]}]}'

    def answer(self, path: str, token: str | None) -> tuple[int, bytes]:
        return 200, self.body


@pytest.fixture
def metadata() -> Iterator[Metadata]:
    with serve(Metadata()) as fake:
        yield fake


def test_loopback_and_the_task_ip_join_the_configured_hosts(
    metadata: Metadata, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "DJANGO_ALLOWED_HOSTS", "api.example.com, .execute-api.eu-west-1.amazonaws.com"
    )
    monkeypatch.setenv("ECS_CONTAINER_METADATA_URI_V4", f"http://127.0.0.1:{metadata.port}/v4/x")

    load_conf()

    assert os.environ["DJANGO_ALLOWED_HOSTS"] == (
        "api.example.com,.execute-api.eu-west-1.amazonaws.com,127.0.0.1,localhost,10.0.3.7"
    )


def test_an_unset_allowed_hosts_stays_unset_so_settings_name_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DJANGO_ALLOWED_HOSTS", raising=False)

    load_conf()

    assert "DJANGO_ALLOWED_HOSTS" not in os.environ


@pytest.mark.parametrize(
    ("body", "uri"),
    [
        (b"not json", "ok"),
        (b'{"Networks": null}', "ok"),
        (b"[]", "ok"),
        (b"{}", None),
        (b"{}", "file:///etc/passwd"),
    ],
)
def test_a_missing_or_odd_metadata_endpoint_adds_no_address(
    metadata: Metadata, body: bytes, uri: str | None
) -> None:
    metadata.body = body
    address = f"http://127.0.0.1:{metadata.port}/v4/x" if uri == "ok" else uri

    assert load_conf().task_addresses(address) == []


def test_hosts_are_not_duplicated() -> None:
    conf = load_conf()

    assert conf.allowed_hosts("127.0.0.1,api.example.com", ["127.0.0.1", "localhost"]) == (
        "127.0.0.1,api.example.com,localhost"
    )


def test_server_settings_suit_the_alb_and_api_gateway() -> None:
    conf = load_conf()

    assert conf.bind == ["0.0.0.0:8000"]
    assert conf.worker_class == "gthread"
    assert conf.keepalive > 60  # longer than the ALB's idle timeout
    assert conf.timeout < 30  # shorter than API Gateway's integration timeout
    assert json.dumps(conf.worker_tmp_dir) == '"/tmp"'


def test_limits_never_refuse_what_api_gateway_passes() -> None:
    conf = load_conf()

    assert conf.limit_request_line == 0  # no limit of its own; gunicorn caps others at 8,190
    assert conf.limit_request_field_size >= 10_240  # API Gateway's request line + values
    assert conf.limit_request_fields == 32768


def test_gunicorns_own_error_pages_are_json(monkeypatch: pytest.MonkeyPatch) -> None:
    from gunicorn import util

    written: list[bytes] = []
    monkeypatch.setattr(util, "write_nonblock", lambda sock, data: written.append(data))
    monkeypatch.setattr(util, "write_error", util.write_error)  # restored after the test
    conf = load_conf()

    conf.post_worker_init(None)
    util.write_error(None, 431, "Request Header Fields Too Large", "Error parsing headers")

    head, _, body = written[0].partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n")
    assert b"Content-Type: application/json" in head
    assert json.loads(body) == {"message": "Request Header Fields Too Large"}


def test_headers_with_underscores_never_alias_the_claim_headers() -> None:
    """`x_gateway_jwt_sub` would become HTTP_X_GATEWAY_JWT_SUB, the environ key of the
    mapped `x-gateway-jwt-sub` the container trusts; gunicorn must drop such names."""
    from gunicorn.config import Config

    config = Config()
    for name, value in vars(load_conf()).items():
        if name in config.settings:
            config.set(name, value)

    assert config.header_map == "drop"
