"""rungateway enforces the template's authorizers for real: JWTs signed with the local
issuer's RSA keys (PyJWT) through the emulated HTTP API and the real Lambda handler, and the
key authorizer with API Gateway's result cache. Time is injected; nothing sleeps."""

from __future__ import annotations

import functools
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from apps.api_keys.models import UsagePlan, UserMeter
from apps.api_keys.services import api_key_revoke
from apps.identity.models import IdentityLink
from localgateway import local_issuer
from localgateway.integrations import ThreadInvoker
from localgateway.jwt_auth import KeySets
from localgateway.management.commands.rungateway import with_jwt_issuer
from localgateway.server import GatewayApp
from localgateway.spec import load_spec
from tests.api_keys.factories import APIKeyFactory
from tests.factories import PetFactory

pytestmark = [pytest.mark.anyio, pytest.mark.django_db(transaction=True)]

TEMPLATE = Path(__file__).resolve().parents[2] / "infra" / "template.yaml"
ISSUER = local_issuer.default_issuer()
AUDIENCE = local_issuer.DEFAULT_AUDIENCE
HANDLER = "lambda_runtime.handler.handler"


class Clock:
    """Epoch seconds the gateway reads for token times and its authorizer cache."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def _orm_in_async_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    # The tests are async (the gateway is ASGI) and read the database between requests;
    # the gateway itself runs the handler in threads, as rungateway does.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _default_plan(transactional_db: None) -> None:
    """The "Default" plan a data migration makes; each transactional test's flush drops it."""
    UsagePlan.objects.get_or_create(
        name="Default", defaults={"rate": 10, "burst": 20, "limit": 10_000, "period": "DAY"}
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


class CountingInvoker(ThreadInvoker):
    """The authorizer function, counting how often the gateway invokes it."""

    calls = 0

    async def invoke(self, event: dict[str, Any], context: Any, timeout: float) -> Any:
        type(self).calls += 1
        return await super().invoke(event, context, timeout)


@pytest.fixture(autouse=True)
def _reset_calls() -> None:
    CountingInvoker.calls = 0


@pytest.fixture(scope="session")
def _first_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One RSA key made by the issuer's own rotate() per test process (2048-bit keys take
    a while to make); each test's key directory starts with a copy of it."""
    directory = tmp_path_factory.mktemp("issuer-key")
    local_issuer.rotate(directory)
    (pem,) = directory.glob("*.pem")
    return pem


@pytest.fixture
def keys(tmp_path: Path, _first_key: Path) -> Path:
    directory = tmp_path / "keys"
    directory.mkdir()
    shutil.copy2(_first_key, directory / _first_key.name)
    return directory


@pytest.fixture
def gateway(keys: Path, clock: Clock) -> Callable[..., httpx.AsyncClient]:
    """A client for the template's API: JWT mode (local issuer) or key-authorizer mode."""

    def make(mode: str = "jwt", **parameters: str) -> httpx.AsyncClient:
        if mode == "jwt":
            parameters |= {"JwtIssuer": ISSUER, "JwtAudience": AUDIENCE}
        else:
            parameters |= {"EnableKeyAuthorizer": "true", "KeyAuthorizerTtl": "60"}
        spec = load_spec(TEMPLATE, parameters=parameters)
        invokers = {}
        if mode == "jwt":
            spec = with_jwt_issuer(spec, ISSUER, [AUDIENCE])
        else:
            invokers["KeyAuth"] = CountingInvoker("lambda_runtime.handler.authorize_api_key", 4)
        app = GatewayApp(
            spec,
            invoker=ThreadInvoker(HANDLER, 4),
            authorizer_invokers=invokers,
            key_sets=KeySets(local_issuer_url=ISSUER, local_keys=keys),
            clock=clock,
        )
        transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 50000))
        return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:3000")

    return make


def token(keys: Path, clock: Clock, **changes: Any) -> str:
    claims = local_issuer.token_claims(
        issuer=ISSUER,
        audience=AUDIENCE,
        user="alice",
        scopes=["pets/read", "pets/write"],
        email="alice@example.com",
        now=clock.now,
    )
    claims |= changes
    return local_issuer.sign({k: v for k, v in claims.items() if v is not None}, keys)


def bearer(value: str) -> dict[str, str]:
    return {"authorization": f"Bearer {value}"}


async def test_a_valid_token_signs_in_the_linked_user(
    gateway: Any, keys: Path, clock: Clock
) -> None:
    async with gateway() as client:
        created = await client.post(
            "/prod/v1/pets",
            json={"name": "Rex", "species": "dog"},
            headers=bearer(token(keys, clock)),
        )
        listed = await client.get("/prod/v1/pets", headers=bearer(token(keys, clock)))

    assert created.status_code == 201, created.text
    assert [pet["name"] for pet in listed.json()["results"]] == ["Rex"]
    link = IdentityLink.objects.get()
    assert (link.issuer, link.subject, link.email) == (ISSUER, "alice", "alice@example.com")
    assert UserMeter.objects.get(pk=link.user_id).period_count == 2  # metered like a key
    assert listed.headers["x-ratelimit-remaining"] == "9998"


async def test_the_token_may_come_without_bearer(gateway: Any, keys: Path, clock: Clock) -> None:
    async with gateway() as client:
        response = await client.get("/prod/v1/pets", headers={"authorization": token(keys, clock)})

    assert response.status_code == 200


@functools.cache
def _other_key() -> rsa.RSAPrivateKey:
    """A key the issuer does not know (one per process: any such key will do)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.mark.parametrize(
    ("case", "description"),
    [
        ("expired", "the token has expired"),
        ("not yet valid", "the token is not valid yet"),
        ("wrong audience", "the token does not have a valid audience"),
        ("wrong issuer", "the token does not have a valid issuer"),
        ("bad signature", "the token's signature is invalid"),
        ("alg none", "the token's signing algorithm is not supported"),
        ("hs256 with the public key", "the token's signing algorithm is not supported"),
        ("unknown kid", "the token's kid does not match a key of the issuer"),
        ("garbage", "the token is not a valid JWT"),
    ],
)
async def test_a_bad_token_is_api_gateways_401(
    gateway: Any, keys: Path, clock: Clock, case: str, description: str
) -> None:
    now = int(clock.now)
    good = local_issuer.token_claims(
        issuer=ISSUER, audience=AUDIENCE, user="alice", scopes=["pets/read"], now=now
    )
    kid = local_issuer.current_key(keys).kid
    value = {
        "expired": lambda: token(keys, clock, exp=now - 1),
        "not yet valid": lambda: token(keys, clock, nbf=now + 60),
        "wrong audience": lambda: token(keys, clock, aud="someone-else", client_id=None),
        "wrong issuer": lambda: token(keys, clock, iss="https://evil.example"),
        "bad signature": lambda: jwt.encode(good, _other_key(), "RS256", headers={"kid": kid}),
        "alg none": lambda: jwt.encode(good, None, algorithm="none", headers={"kid": kid}),
        "hs256 with the public key": lambda: jwt.encode(
            good, "secret-" * 5, "HS256", headers={"kid": kid}
        ),
        "unknown kid": lambda: jwt.encode(good, _other_key(), "RS256", headers={"kid": "nope"}),
        "garbage": lambda: "not.a.jwt",
    }[case]()

    async with gateway() as client:
        response = await client.get("/prod/v1/pets", headers=bearer(value))

    assert response.status_code == 401
    assert response.content == b'{"message":"Unauthorized"}'
    assert response.headers["www-authenticate"] == (
        f'Bearer scope="" error="invalid_token" error_description="{description}"'
    )
    assert not IdentityLink.objects.exists()


async def test_no_token_is_a_401_and_public_routes_need_none(gateway: Any) -> None:
    async with gateway() as client:
        missing = await client.get("/prod/v1/pets")
        health = await client.get("/prod/health")

    assert (missing.status_code, missing.content) == (401, b'{"message":"Unauthorized"}')
    assert health.status_code == 200


async def test_a_missing_route_scope_is_api_gateways_403(
    gateway: Any, keys: Path, clock: Clock
) -> None:
    read_only = token(keys, clock, scope="pets/read")

    async with gateway() as client:
        read = await client.get("/prod/v1/pets", headers=bearer(read_only))
        write = await client.post("/prod/v1/pets", json={"name": "Rex"}, headers=bearer(read_only))

    assert read.status_code == 200
    assert (write.status_code, write.content) == (403, b'{"message":"Forbidden"}')
    assert 'error="insufficient_scope"' in write.headers["www-authenticate"]


async def test_a_rotated_key_with_a_new_kid_is_picked_up(
    gateway: Any, keys: Path, clock: Clock
) -> None:
    old = token(keys, clock)
    async with gateway() as client:
        assert (await client.get("/prod/v1/pets", headers=bearer(old))).status_code == 200
        new_key = local_issuer.rotate(keys)
        new = local_issuer.sign(jwt.decode(old, options={"verify_signature": False}), keys, new_key)
        assert jwt.get_unverified_header(new)["kid"] == new_key.kid
        fresh = await client.get("/prod/v1/pets", headers=bearer(new))
        still = await client.get("/prod/v1/pets", headers=bearer(old))  # old key still published
        local_issuer.rotate(keys)  # two rotations on: the first key leaves the JWKS
        dropped = await client.get("/prod/v1/pets", headers=bearer(old))

    assert (fresh.status_code, still.status_code, dropped.status_code) == (200, 200, 401)


async def test_another_users_pet_is_a_404(gateway: Any, keys: Path, clock: Clock) -> None:
    pet = PetFactory()

    async with gateway() as client:
        response = await client.get(f"/prod/v1/pets/{pet.pk}", headers=bearer(token(keys, clock)))

    assert (response.status_code, response.json()) == (404, {"message": "Not Found"})


async def test_the_local_issuer_publishes_discovery_and_jwks(gateway: Any, keys: Path) -> None:
    async with gateway() as client:
        discovery = await client.get("/local-issuer/.well-known/openid-configuration")
        jwks = await client.get("/local-issuer/.well-known/jwks.json")

    assert discovery.json()["jwks_uri"] == f"{ISSUER}/.well-known/jwks.json"
    assert [k["kid"] for k in jwks.json()["keys"]] == [local_issuer.current_key(keys).kid]
    assert "d" not in jwks.json()["keys"][0]  # public parts only


async def test_a_remote_issuer_is_found_through_oidc_discovery(keys: Path, clock: Clock) -> None:
    fetched: list[str] = []
    remote = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_pool"

    def fetch(url: str) -> dict[str, Any]:
        fetched.append(url)
        if url.endswith("openid-configuration"):
            return {"issuer": remote, "jwks_uri": f"{remote}/.well-known/jwks.json"}
        return local_issuer.jwks(keys)

    from localgateway.authorizers import JwtAuthorizer
    from localgateway.jwt_auth import verify

    sets = KeySets(fetch=fetch)
    authorizer = JwtAuthorizer("JwtAuth", remote, ("client",))
    value = token(keys, clock, iss=remote, aud="client")

    first = verify(value, authorizer, ("pets/read",), sets, now=clock.now)
    second = verify(value, authorizer, ("pets/read",), sets, now=clock.now)

    assert first.allowed
    assert second.allowed
    assert first.claims is not None
    assert first.claims["iss"] == remote
    assert first.scopes == ["pets/read", "pets/write"]
    assert fetched == [
        f"{remote}/.well-known/openid-configuration",
        f"{remote}/.well-known/jwks.json",
    ]


# --- The key authorizer ---------------------------------------------------------------------


async def test_the_key_authorizer_caches_its_answer_for_the_ttl(gateway: Any, clock: Clock) -> None:
    key = APIKeyFactory()

    async with gateway("key") as client:
        first = await client.get("/prod/v1/pets", headers={"x-api-key": key.raw_key})
        clock.now += 59
        cached = await client.get("/prod/v1/usage", headers={"x-api-key": key.raw_key})
        clock.now += 1
        expired = await client.get("/prod/v1/pets", headers={"x-api-key": key.raw_key})

    assert [first.status_code, cached.status_code, expired.status_code] == [200, 200, 200]
    assert CountingInvoker.calls == 2  # the second request used the cached answer
    assert cached.json()["quota"]["used"] == 2  # metering stays exact through the cache


async def test_revocation_takes_effect_when_the_cached_answer_expires(
    gateway: Any, clock: Clock
) -> None:
    key = APIKeyFactory()
    headers = {"x-api-key": key.raw_key}

    async with gateway("key") as client:
        assert (await client.get("/prod/v1/pets", headers=headers)).status_code == 200
        api_key_revoke(key=key)
        within = await client.get("/prod/v1/pets", headers=headers)
        clock.now += 60
        after = await client.get("/prod/v1/pets", headers=headers)

    assert within.status_code == 200  # the documented window: up to the TTL
    assert (after.status_code, after.content) == (403, b'{"message":"Forbidden"}')


async def test_denials_are_cached_too_and_a_missing_key_never_calls_the_function(
    gateway: Any,
) -> None:
    async with gateway("key") as client:
        missing = await client.get("/prod/v1/pets")
        bad = [
            await client.get("/prod/v1/pets", headers={"x-api-key": "bad.key"}) for _ in range(2)
        ]

    assert (missing.status_code, missing.content) == (401, b'{"message":"Unauthorized"}')
    assert [r.status_code for r in bad] == [403, 403]
    assert CountingInvoker.calls == 1


async def test_a_failing_authorizer_is_a_500_and_not_cached(
    gateway: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = APIKeyFactory()
    from lambda_runtime import authorizer as entry

    real = entry.decide
    state = {"broken": True}

    def flaky(event: Any, now: Any) -> Any:
        if state["broken"]:
            raise RuntimeError("database unavailable")
        return real(event, now=now)

    monkeypatch.setattr(entry, "decide", flaky)
    async with gateway("key") as client:
        failed = await client.get("/prod/v1/pets", headers={"x-api-key": key.raw_key})
        state["broken"] = False
        recovered = await client.get("/prod/v1/pets", headers={"x-api-key": key.raw_key})

    assert (failed.status_code, failed.content) == (500, b'{"message":"Internal Server Error"}')
    assert recovered.status_code == 200


# --- The container variant: claims in headers the mapping overwrites --------------------------

CONTAINER = {
    "EnableContainerVariant": "true",
    "ContainerImageTag": "v1",
    "JwtIssuer": ISSUER,
    "JwtAudience": AUDIENCE,
}
SPOOFED = [
    ("x-gateway-jwt-iss", ISSUER),
    ("x-gateway-jwt-sub", "mallory-claims-to-be-alice"),
    ("x-gateway-jwt-scope", "pets/read pets/write"),
    ("x-gateway-jwt-email", "alice@example.com"),
]


def _forwarded(route_key: str, context: dict[str, str]) -> dict[str, str]:
    """The headers the VPC link forwards for a client sending SPOOFED on `route_key`."""
    from localgateway.events import Request
    from localgateway.upstream import apply_header_mappings

    spec = load_spec(TEMPLATE, parameters=CONTAINER, variant="container")
    route = next(r for r in spec.routes if r.key == route_key)
    request = Request("GET", "/prod/v1/pets", "", list(SPOOFED), b"", "203.0.113.9", "https", 443)
    return dict(apply_header_mappings(list(SPOOFED), route.header_mappings, request, context))


def test_the_container_api_takes_the_jwt_with_scopes_on_v1_routes() -> None:
    spec = load_spec(TEMPLATE, parameters=CONTAINER, variant="container")

    guarded = {key: auth.scopes for key, auth in spec.authorization.items()}

    assert guarded == {
        "GET /v1/{proxy+}": ("pets/read", "pets/write"),
        "POST /v1/{proxy+}": ("pets/write",),
        "PUT /v1/{proxy+}": ("pets/write",),
        "PATCH /v1/{proxy+}": ("pets/write",),
        "DELETE /v1/{proxy+}": ("pets/write",),
    }


def test_spoofed_claim_headers_are_overwritten_with_the_verified_claims(
    keys: Path, clock: Clock
) -> None:
    from localgateway.authorizers import JwtAuthorizer
    from localgateway.jwt_auth import verify
    from localgateway.server import context_values

    verdict = verify(
        token(keys, clock, email=None, sub="alice"),
        JwtAuthorizer("JwtAuth", ISSUER, (AUDIENCE,)),
        ("pets/read",),
        KeySets(local_issuer_url=ISSUER, local_keys=keys),
        now=clock.now,
    )
    forwarded = _forwarded("GET /v1/{proxy+}", context_values({"jwt": {"claims": verdict.claims}}))

    assert forwarded["x-gateway-jwt-sub"] == "alice"
    assert forwarded["x-gateway-jwt-iss"] == ISSUER
    assert forwarded["x-gateway-jwt-scope"] == "pets/read pets/write"
    # The token has no email: the client's value is gone, not kept.
    assert "x-gateway-jwt-email" not in forwarded


def test_spoofed_claim_headers_are_removed_on_public_routes() -> None:
    forwarded = _forwarded("GET /{proxy+}", {})

    assert not [name for name in forwarded if name.startswith("x-gateway-jwt-")]
