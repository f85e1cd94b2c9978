"""The API Gateway control-plane client, and its errors as one exception with a short message."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from apps.api_keys import conf

if TYPE_CHECKING:
    from mypy_boto3_apigateway import APIGatewayClient


class GatewayError(Exception):
    """A control-plane call failed; the message is fit for the admin (no secrets in it)."""

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class NotConfiguredError(GatewayError):
    """API_KEYS["GATEWAY_REST_API_ID"] is not set: there is no REST API to sync with."""


def enabled() -> bool:
    """Whether plans and keys are kept in an API Gateway REST API."""
    return bool(conf.api_key_settings().GATEWAY_REST_API_ID)


def target() -> tuple[str, str]:
    """(REST API id, stage) the usage plans apply to."""
    config = conf.api_key_settings()
    if not config.GATEWAY_REST_API_ID:
        raise NotConfiguredError("API_KEYS['GATEWAY_REST_API_ID'] is not set")
    return config.GATEWAY_REST_API_ID, config.GATEWAY_STAGE


def client() -> APIGatewayClient:
    """A client with short timeouts: the admin waits on it while it makes a key."""
    config = conf.api_key_settings()
    return _client(config.GATEWAY_ENDPOINT_URL, float(config.GATEWAY_TIMEOUT_SECONDS))


@lru_cache(maxsize=4)
def _client(endpoint_url: str, timeout: float) -> APIGatewayClient:
    # Imported here: only the sync needs boto3, and importing it costs cold-start time.
    import boto3
    from botocore.config import Config

    return boto3.client(
        "apigateway",
        endpoint_url=endpoint_url or None,
        config=Config(
            connect_timeout=timeout,
            read_timeout=timeout,
            # Standard retries back off on TooManyRequestsException: the control plane
            # allows few calls a second (UpdateUsagePlan: one per 20 s per account).
            retries={"mode": "standard", "total_max_attempts": 3},
        ),
    )


def call(operation: str, **kwargs: Any) -> dict[str, Any]:
    """Call one operation; any failure becomes a GatewayError naming the operation."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        result: dict[str, Any] = getattr(client(), operation)(**kwargs)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "Error"))
        raise GatewayError(f"{operation}: {code}: {error.get('Message', '')}", code=code) from exc
    except BotoCoreError as exc:
        raise GatewayError(f"{operation}: {exc}") from exc
    return result


def is_not_found(error: GatewayError) -> bool:
    return error.code in ("NotFoundException", "404")
