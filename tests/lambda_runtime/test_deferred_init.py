"""A Lambda init on demand leaves the admin's modules and other apps' URLconfs to their first
use (apps.common.deferral), and every use finds them: the admin's pages, reverse() of every
route name, the admin's system checks. A SnapStart init still builds all of it at init."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.lambda_runtime import events, probe
from tests.lambda_runtime.probe_deferred import DEFERRED_MODULES, PETS_MODULES

ON_DEMAND = {"AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand"}
SNAP_START = {"AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start"}
# The admin's ModelAdmins (apps.*.admin and the contrib ones), registered by autodiscovery.
REGISTERED = {
    "api_keys.APIKey",
    "api_keys.UsagePlan",
    "api_keys.UserMeter",
    "auth.Group",
    "auth.User",
    "idempotency.IdempotencyRecord",
    "identity.IdentityLink",
    "pets.Pet",
    "photos.OrphanedFile",
    "photos.Photo",
    "realtime.Connection",
}


def _probe(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    result = probe.run("tests.lambda_runtime.probe_deferred", args, env)
    assert result.returncode == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout.splitlines()[-1])
    return report


@pytest.fixture(scope="module")
def container(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Production settings, a migrated database with a pet, collected static files, and a
    staff user's session cookie."""
    env = probe.container_env(tmp_path_factory.mktemp("deferred"))
    prepared = _probe(["setup"], env)
    event = events.http_api(path=f"/v1/pets/{prepared['pet_id']}", headers=prepared["headers"])
    return {"env": env, "event": event, "cookie": prepared["cookie"]}


def test_an_on_demand_init_leaves_the_admin_and_other_apps_views_to_their_first_use(
    container: dict[str, Any],
) -> None:
    report = _probe(
        ["admin", json.dumps(container["event"]), container["cookie"]],
        container["env"] | ON_DEMAND,
    )

    assert report["init"] == []
    assert report["registered_at_init"] == []
    assert report["pets_init"] == []  # the pets' views come with the first pets request
    assert report["status"] == 200
    assert report["first_request"] == []
    assert report["pets_first_request"] == list(PETS_MODULES)
    # Nor what the photos' and realtime's receivers and checks use only when they run.
    assert report["lazy_first_request"] == []
    # The admin's first request imports the apps' admin modules, then builds its URLs.
    assert report["login_status"] == 200
    assert {name for name in report["after_login"] if ".admin" in name} == {
        name for name in DEFERRED_MODULES if ".admin" in name
    }
    assert (report["changelist_status"], report["changelist_lists_the_pet"]) == (200, True)
    assert set(report["registered_after"]) == REGISTERED


def test_a_snapstart_init_builds_the_admin_and_every_apps_urlconf(
    container: dict[str, Any],
) -> None:
    report = _probe(["reverse"], container["env"] | SNAP_START)

    assert report["init"] == list(DEFERRED_MODULES)
    assert set(report["registered_at_init"]) == REGISTERED


def test_every_route_name_reverses_after_an_on_demand_init_as_after_a_snapstart_one(
    container: dict[str, Any],
) -> None:
    on_demand = _probe(["reverse"], container["env"] | ON_DEMAND)
    snap_start = _probe(["reverse"], container["env"] | SNAP_START)

    assert on_demand["init"] == []
    assert on_demand["after_reverse"] == list(DEFERRED_MODULES)
    paths = on_demand["paths"]
    assert paths == snap_start["paths"]
    assert not [path for path in paths.values() if path.startswith("NoReverseMatch")]
    for name, path in {
        "health": "/health",
        "pets:pet-detail": "/v1/pets/7",
        "api_keys:usage": "/v1/usage",
        "photos:photo-list": "/v1/photos",
        "photos:upload-local": "/v1/photos/uploads/local",
        "realtime:tickets": "/v1/realtime/tickets",
        "admin:index": "/admin/",
        "admin:pets_pet_changelist": "/admin/pets/pet/",
        "admin:app_list": "/admin/pets/",
    }.items():
        assert paths[name] == path


def test_the_admin_checks_check_every_model_admin_after_an_on_demand_init(
    container: dict[str, Any],
) -> None:
    report = _probe(["check"], container["env"] | ON_DEMAND)

    assert report["init"] == []
    assert report["ok"] is True, report["output"]
    assert set(report["checked"]) == REGISTERED
    assert set(report["registered_after"]) == REGISTERED
