"""How this app names its objects in API Gateway, and how a key is spelled there.

Usage plans and keys are account-wide, so every name starts with the REST API's id and
stage: the sync then recognises its own objects (and deletes the ones nothing here
matches) without touching other stacks'.
"""

from __future__ import annotations

from apps.api_keys.gateway.client import target


def namespace() -> str:
    api_id, stage = target()
    return f"{api_id}-{stage}"


def plan_name(plan_pk: int) -> str:
    return f"{namespace()}-plan-{plan_pk}"


def key_name(prefix: str) -> str:
    return f"{namespace()}-key-{prefix}"


def plan_prefix() -> str:
    return f"{namespace()}-plan-"


def key_prefix() -> str:
    return f"{namespace()}-key-"


def gateway_value(raw_key: str) -> str:
    """The key as API Gateway stores it and clients send it in REST mode: `prefix.secret`
    without the dot, 40 letters and digits. AWS documents key values as alphanumeric
    (20-128 characters); this app accepts both spellings of a key (apps.api_keys.selectors).
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html
    """
    return raw_key.replace(".", "", 1)
