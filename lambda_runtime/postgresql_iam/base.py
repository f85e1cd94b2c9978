"""PostgreSQL backend whose password is an RDS IAM auth token, made for each new connection.

The functions reach the database through RDS Proxy with IAM authentication: the role's
`rds-db:connect` grant replaces the database password, which only the proxy reads (from
Secrets Manager). A token is a SigV4 signature made locally (no AWS call), valid for 15
minutes for opening a connection; an open connection stays authenticated. boto3 is imported
at the first connection, not at start-up.
https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-connecting.html#rds-proxy-connecting-iam
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.backends.postgresql import base

DEFAULT_PORT = 5432


@lru_cache(maxsize=1)
def _rds_client(region: str) -> Any:
    import boto3

    return boto3.session.Session().client("rds", region_name=region)


def auth_token(*, host: str, port: int, user: str) -> str:
    """A fresh token for `user` at `host:port`, signed with the function's credentials."""
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if not region:
        raise ImproperlyConfigured("IAM database authentication needs AWS_REGION.")
    token: str = _rds_client(region).generate_db_auth_token(
        DBHostname=host, Port=port, DBUsername=user, Region=region
    )
    return token


class DatabaseWrapper(base.DatabaseWrapper):
    """The stock backend; only the password differs (a token instead of a secret)."""

    def get_connection_params(self) -> dict[str, Any]:
        params: dict[str, Any] = super().get_connection_params()
        if not params.get("host") or not params.get("user"):
            raise ImproperlyConfigured("IAM database authentication needs a host and a user.")
        if params.get("sslmode") in (None, "disable", "allow", "prefer"):
            # Tokens are accepted over TLS only; refuse rather than let libpq downgrade.
            raise ImproperlyConfigured(
                "IAM database authentication needs TLS: add ?sslmode=require (or verify-full) "
                "to DATABASE_URL."
            )
        params["password"] = auth_token(
            host=params["host"], port=int(params.get("port") or DEFAULT_PORT), user=params["user"]
        )
        return params
