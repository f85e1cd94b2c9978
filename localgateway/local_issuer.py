"""A local token issuer: RSA keys on disk, their JWKS, and tokens signed with the newest.

`manage.py issue_token` signs with it and `rungateway` serves its JWKS and OIDC discovery
document at `<issuer>/.well-known/...`, so the JWT authorizer's checks run for real on a
laptop. Keys live in LOCALGATEWAY_KEYS_DIR (default `.localgateway/` in the checkout,
git-ignored); `rotate` adds a key with a new `kid`, as an identity provider does.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings

DEFAULT_ISSUER_PATH = "/local-issuer"
DEFAULT_AUDIENCE = "local"
ALGORITHM = "RS256"
KEEP_KEYS = 2  # the newest signs; the one before stays in the JWKS for tokens it signed


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey


def keys_dir() -> Path:
    configured = os.environ.get("LOCALGATEWAY_KEYS_DIR")
    return Path(configured) if configured else Path(settings.BASE_DIR) / ".localgateway"


def default_issuer(host: str = "127.0.0.1", port: int = 3000) -> str:
    return f"http://{host}:{port}{DEFAULT_ISSUER_PATH}"


def load_keys(directory: Path) -> list[SigningKey]:
    """The keys, oldest first (file names start with the creation time)."""
    found = []
    for path in sorted(directory.glob("*.pem")):
        private = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if isinstance(private, rsa.RSAPrivateKey):
            found.append(SigningKey(path.stem.split("-", 1)[1], private))
    return found


def rotate(directory: Path) -> SigningKey:
    """Add a new key (a new `kid`); keys older than the last KEEP_KEYS are dropped."""
    directory.mkdir(parents=True, exist_ok=True)
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    kid = secrets.token_hex(8)
    path = directory / f"{time.time_ns()}-{kid}.pem"
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # Owner-only: a development key, but a key.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(pem)
    for old in sorted(directory.glob("*.pem"))[:-KEEP_KEYS]:
        old.unlink()
    return SigningKey(kid, private)


def current_key(directory: Path) -> SigningKey:
    """The newest key, made on first use."""
    keys = load_keys(directory)
    return keys[-1] if keys else rotate(directory)


def jwks(directory: Path) -> dict[str, Any]:
    """The public keys as a JSON Web Key Set."""
    documents = []
    for key in load_keys(directory):
        document = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.private_key.public_key()))
        documents.append({**document, "kid": key.kid, "alg": ALGORITHM, "use": "sig"})
    return {"keys": documents}


def discovery(issuer: str) -> dict[str, Any]:
    """The OIDC discovery document API Gateway reads to find the JWKS."""
    return {
        "issuer": issuer,
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "id_token_signing_alg_values_supported": [ALGORITHM],
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
    }


def sign(claims: dict[str, Any], directory: Path, key: SigningKey | None = None) -> str:
    """A token with these claims, signed with the newest key (or `key`)."""
    key = key or current_key(directory)
    return jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})


def token_claims(
    *,
    issuer: str,
    audience: str,
    user: str,
    scopes: list[str],
    email: str | None = None,
    lifetime: int = 3600,
    now: float | None = None,
) -> dict[str, Any]:
    """Claims shaped like a Cognito access token (scope, client_id) plus `aud` and `email`."""
    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": user,
        "aud": audience,
        "client_id": audience,
        "token_use": "access",
        "scope": " ".join(scopes),
        "iat": issued,
        "nbf": issued,
        "exp": issued + lifetime,
        "jti": secrets.token_hex(8),
    }
    if email:
        claims["email"] = email
    return claims
