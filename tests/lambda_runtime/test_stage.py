"""Stage prefix: routing ignores it, generated URLs keep it; `$default` and custom domains
have none; `API_GATEWAY_STAGE_PREFIX` and `DJANGO_SCRIPT_NAME` configure it."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from apps.pets.models import Pet
from lambda_runtime.adapter import LambdaWSGIAdapter
from lambda_runtime.stage import StagePrefix, stage_prefix
from tests.factories import PetFactory
from tests.lambda_runtime import events
from tests.lambda_runtime.conftest import Invoke, body_json, header
from tests.photos.factories import ReadyPhotoFactory

pytestmark = pytest.mark.django_db

HOST = "aaaaaaaaaa.execute-api.us-west-2.amazonaws.com"
CUSTOM = "api.example.com"


def _post_pet(invoke: Invoke, headers: dict[str, str], **kwargs: Any) -> dict[str, Any]:
    headers = {"content-type": "application/json", **headers}
    return invoke(
        events.http_api(
            method="POST", headers=headers, body='{"name": "Rex", "species": "dog"}', **kwargs
        )
    )


# --- Named stage on the default endpoint: the prefix is in every generated URL ------------


def test_named_stage_routes_without_the_prefix(invoke: Invoke) -> None:
    seen = body_json(invoke(events.http_api(path="/v1/echo", stage="prod")))

    assert (seen["script_name"], seen["path_info"]) == ("/prod", "/v1/echo")
    assert seen["path"] == "/prod/v1/echo"
    assert seen["absolute_uri"] == f"https://{HOST}/prod/v1/echo"
    assert seen["reversed"] == f"https://{HOST}/prod/v1/echo"


def test_named_stage_location_header(invoke: Invoke, auth_headers, user) -> None:
    result = _post_pet(invoke, auth_headers(user), stage="prod")

    assert result["statusCode"] == 201
    assert result["headers"]["location"] == f"https://{HOST}/prod/v1/pets/{Pet.objects.get().pk}"


def test_named_stage_pagination_links(invoke: Invoke, auth_headers, user) -> None:
    PetFactory.create_batch(3, owner=user)
    event = events.http_api(query="page=2&page_size=1", stage="prod", headers=auth_headers(user))

    page = body_json(invoke(event))

    assert page["next"] == f"https://{HOST}/prod/v1/pets?page=3&page_size=1"
    assert page["previous"] == f"https://{HOST}/prod/v1/pets?page_size=1"


def test_named_stage_openapi_server_url(invoke: Invoke) -> None:
    schema = body_json(invoke(events.http_api(path="/v1/openapi.json", stage="prod")))

    assert schema["servers"][0]["url"] == f"https://{HOST}/prod"


def test_named_stage_admin_redirect(invoke: Invoke) -> None:
    result = invoke(events.http_api(path="/admin/", stage="prod"))

    assert result["statusCode"] == 302
    assert result["headers"]["location"] == "/prod/admin/login/?next=/prod/admin/"


def test_named_stage_static_and_media_urls(invoke: Invoke, auth_headers, user) -> None:
    # Django caches STATIC_URL/MEDIA_URL with the start-up prefix (none); the storages must
    # use each request's, or the docs' assets and photo URLs fall outside the stage (404).
    photo = ReadyPhotoFactory(owner=user)
    docs = invoke(events.http_api(path="/v1/docs", stage="prod"))
    login = invoke(events.http_api(path="/admin/login/", stage="prod"))
    read = body_json(
        invoke(
            events.http_api(path=f"/v1/photos/{photo.pk}", stage="prod", headers=auth_headers(user))
        )
    )

    assert docs["statusCode"] == 200
    assert '"/prod/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css"' in docs["body"]
    assert '"/static/' not in docs["body"]
    assert "/prod/static/admin/css/" in login["body"]
    assert read["thumbnail_url"] == f"https://{HOST}/prod/media/{photo.thumbnail.name}"
    assert read["url"] == f"https://{HOST}/prod/media/{photo.display.name}"


def test_static_urls_follow_each_request_not_the_first(invoke: Invoke) -> None:
    named = invoke(events.http_api(path="/v1/docs", stage="prod"))
    default = invoke(events.http_api(path="/v1/docs", stage="$default"))
    custom = invoke(events.http_api(path="/v1/docs", host=CUSTOM))

    assert "/prod/static/" in named["body"]
    assert '"/static/drf_spectacular_sidecar/' in default["body"]
    assert "/prod/" not in default["body"]
    assert '"/static/drf_spectacular_sidecar/' in custom["body"]


def test_stage_named_like_the_api_version(invoke: Invoke, auth_headers, user) -> None:
    result = invoke(events.http_api(path="/v1/pets", stage="v1", headers=auth_headers(user)))

    assert result["statusCode"] == 200


def test_rest_api_stage_is_not_in_path_but_is_in_urls(invoke: Invoke) -> None:
    # REST's `path` has no stage, so a route starting with the stage's name is left alone.
    seen = body_json(invoke(events.rest(path="/v1/echo", stage="v1")))

    assert (seen["script_name"], seen["path_info"]) == ("/v1", "/v1/echo")
    assert seen["absolute_uri"].endswith(".amazonaws.com/v1/v1/echo")


# --- No prefix: $default stage, custom domains, Function URLs, ALB ------------------------


def test_default_stage_has_no_prefix(invoke: Invoke, auth_headers, user) -> None:
    result = _post_pet(invoke, auth_headers(user), stage="$default")
    schema = body_json(invoke(events.http_api(path="/v1/openapi.json", stage="$default")))

    assert result["headers"]["location"] == f"https://{HOST}/v1/pets/{Pet.objects.get().pk}"
    assert schema["servers"][0]["url"] == f"https://{HOST}"


def test_custom_domain_has_no_prefix(invoke: Invoke, auth_headers, user) -> None:
    # Behind an API mapping the client never sees the stage (and rawPath lacks it).
    result = _post_pet(invoke, auth_headers(user), host=CUSTOM)
    event = events.http_api(path="/v1/echo", host=CUSTOM)
    event["requestContext"]["stage"] = "prod"

    seen = body_json(invoke(event))

    assert result["headers"]["location"] == f"https://{CUSTOM}/v1/pets/{Pet.objects.get().pk}"
    assert (seen["script_name"], seen["path_info"]) == ("", "/v1/echo")


def test_rest_custom_domain_has_no_prefix(invoke: Invoke) -> None:
    seen = body_json(invoke(events.rest(path="/v1/echo", host=CUSTOM)))

    assert seen["absolute_uri"] == f"https://{CUSTOM}/v1/echo"


def test_alb_and_function_url_have_no_prefix(invoke: Invoke) -> None:
    for event in (events.alb(path="/v1/echo"), events.function_url(path="/v1/echo")):
        assert body_json(invoke(event))["script_name"] == ""


# --- Configuration ------------------------------------------------------------------------


def test_off_leaves_the_path_alone(invoke: Invoke, settings: Any) -> None:
    settings.API_GATEWAY_STAGE_PREFIX = "off"

    result = invoke(events.http_api(path="/v1/echo", stage="prod"))

    assert result["statusCode"] == 404
    assert body_json(result) == {"message": "Not Found"}


def test_fixed_prefix_for_a_custom_domain_mapping(
    invoke: Invoke, settings: Any, auth_headers, user
) -> None:
    settings.API_GATEWAY_STAGE_PREFIX = "/pets-api"

    result = _post_pet(invoke, auth_headers(user), host=CUSTOM)
    seen = body_json(invoke(events.http_api(path="/v1/echo", host=CUSTOM)))
    stripped = body_json(invoke(events.http_api(path="/pets-api/v1/echo", host=CUSTOM)))

    assert (
        result["headers"]["location"] == f"https://{CUSTOM}/pets-api/v1/pets/{Pet.objects.get().pk}"
    )
    assert (seen["script_name"], seen["path_info"]) == ("/pets-api", "/v1/echo")
    assert (stripped["script_name"], stripped["path_info"]) == ("/pets-api", "/v1/echo")


def test_django_script_name_is_the_prefix_in_auto_mode(invoke: Invoke, settings: Any) -> None:
    settings.FORCE_SCRIPT_NAME = "/prod"

    staged = body_json(invoke(events.http_api(path="/v1/echo", stage="prod")))
    default = body_json(invoke(events.http_api(path="/v1/echo")))

    assert (staged["path"], staged["path_info"]) == ("/prod/v1/echo", "/v1/echo")
    assert (default["path"], default["path_info"]) == ("/prod/v1/echo", "/v1/echo")


@pytest.mark.parametrize(
    ("setting", "force", "expected"),
    [
        ("auto", None, StagePrefix("auto")),
        ("AUTO", None, StagePrefix("auto")),
        ("", None, StagePrefix("auto")),
        ("off", None, StagePrefix("off")),
        ("/prod", None, StagePrefix("fixed", "/prod")),
        ("/a/b-c_d", None, StagePrefix("fixed", "/a/b-c_d")),
        ("auto", "/prod", StagePrefix("fixed", "/prod")),
        ("/prod", "/prod", StagePrefix("fixed", "/prod")),
    ],
)
def test_stage_prefix_setting(setting: str, force: str | None, expected: StagePrefix) -> None:
    assert stage_prefix(setting, force) == expected


@pytest.mark.parametrize(
    ("setting", "force"),
    [
        ("prod", None),
        ("/prod/", None),
        ("/", None),
        ("/a b", None),
        ("/x", "/prod"),
        ("off", "/prod"),
        ("auto", "prod/"),
    ],
)
def test_bad_stage_prefix_settings_are_refused(setting: str, force: str | None) -> None:
    with pytest.raises(ImproperlyConfigured):
        stage_prefix(setting, force)


def test_a_bad_setting_stops_the_adapter_at_init(settings: Any) -> None:
    settings.API_GATEWAY_STAGE_PREFIX = "prod"

    with pytest.raises(ImproperlyConfigured, match="API_GATEWAY_STAGE_PREFIX"):
        LambdaWSGIAdapter(lambda environ, start_response: [])


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        (HOST, ("/prod", "/v1/pets")),
        (f"{HOST}:443", ("/prod", "/v1/pets")),
        (
            "abc123-vpce-0123456789abcdef0.execute-api.us-east-1.vpce.amazonaws.com",
            ("/prod", "/v1/pets"),
        ),
        ("abc.execute-api.cn-north-1.amazonaws.com.cn", ("/prod", "/v1/pets")),
        (CUSTOM, ("", "/prod/v1/pets")),
        ("execute-api.example.com", ("", "/prod/v1/pets")),
    ],
)
def test_auto_prefix_only_on_default_endpoints(host: str, expected: tuple[str, str]) -> None:
    event = {"version": "2.0", "requestContext": {"stage": "prod"}}

    assert StagePrefix("auto").split(event, host, "/prod/v1/pets") == expected


def test_prefix_is_stripped_only_at_a_segment_boundary() -> None:
    fixed = StagePrefix("fixed", "/prod")

    assert fixed.split({}, CUSTOM, "/production/v1") == ("/prod", "/production/v1")
    assert fixed.split({}, CUSTOM, "/prod") == ("/prod", "/")


def test_redirects_keep_the_prefix(invoke: Invoke) -> None:
    result = invoke(events.http_api(path="/admin", stage="prod"))  # APPEND_SLASH

    assert result["statusCode"] == 301
    assert header(result, "location") == "/prod/admin/"


@pytest.mark.parametrize("host", ["127.0.0.1:3000", "localhost:3000"])
def test_the_local_gateway_counts_as_a_default_endpoint(
    invoke: Invoke, host: str, settings: Any
) -> None:
    # manage.py rungateway serves a named stage under /prod on a loopback host.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "127.0.0.1", "localhost"]
    event = events.http_api(path="/v1/echo", stage="prod", host=host)
    assert event["rawPath"] == "/prod/v1/echo"

    seen = body_json(invoke(event))

    assert (seen["script_name"], seen["path_info"]) == ("/prod", "/v1/echo")


def test_a_host_that_only_looks_local_is_a_custom_domain(invoke: Invoke, settings: Any) -> None:
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "127.0.0.1.example.com"]
    event = events.http_api(path="/v1/echo", host="127.0.0.1.example.com")
    event["requestContext"]["stage"] = "prod"

    assert body_json(invoke(event))["script_name"] == ""
