"""The pets admin: columns, search, filters, and static files that load."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.factories import PetFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client() -> Client:
    client = Client()
    client.force_login(UserFactory(username="staff", is_staff=True, is_superuser=True))
    return client


def test_changelist_lists_columns(staff_client: Client) -> None:
    PetFactory(name="Rex", species="dog", owner=UserFactory(username="carol"))

    response = staff_client.get("/admin/pets/pet/")

    assert response.status_code == 200
    html = response.content.decode()
    for column in ("column-name", "column-species", "column-owner", "column-birth_date"):
        assert column in html
    assert "Rex" in html
    assert "carol" in html


def listed(client: Client, query: str) -> list[str]:
    """The pet names in the changelist's rows (not the whole page: a random CSRF token can
    spell "Tom")."""
    html = client.get(f"/admin/pets/pet/{query}").content.decode()
    return re.findall(r'<th class="field-name"><a href="[^"]*">([^<]*)</a>', html)


def test_changelist_search_and_filters(staff_client: Client) -> None:
    carol = UserFactory(username="carol")
    PetFactory(name="Rex", species="dog", owner=carol)
    PetFactory(name="Tom", species="cat")

    assert sorted(listed(staff_client, "")) == ["Rex", "Tom"]
    assert listed(staff_client, "?q=rex") == ["Rex"]
    assert listed(staff_client, "?species__exact=cat") == ["Tom"]
    assert listed(staff_client, f"?owner__id__exact={carol.pk}") == ["Rex"]


def test_admin_edit_bumps_version(staff_client: Client) -> None:
    pet = PetFactory(name="Rex", species="dog")

    response = staff_client.post(
        f"/admin/pets/pet/{pet.pk}/change/",
        {"owner": pet.owner.pk, "name": "Max", "species": "dog", "notes": "", "birth_date": ""},
    )

    assert response.status_code == 302
    pet.refresh_from_db()
    assert (pet.name, pet.version) == ("Max", 2)


def test_admin_needs_staff() -> None:
    client = Client()
    client.force_login(UserFactory(username="plain"))

    response = client.get("/admin/pets/pet/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_admin_css_loads() -> None:
    response = Client().get("/static/admin/css/base.css")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert b"".join(response.streaming_content).startswith(b"/*")
    response.close()  # A FileResponse keeps its file open until closed, as a server does.
