"""POST /v1/realtime/tickets: keyed, metered, short-lived, single-use tickets."""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from apps.realtime.models import Ticket
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_keyed_post_returns_a_ticket_and_the_url_that_carries_it(api: APIClient) -> None:
    response = api.post("/v1/realtime/tickets")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"ticket", "expires_at", "url"}
    url = urlsplit(body["url"])
    assert (url.scheme, url.netloc, url.path) == ("ws", "testserver", "")
    assert parse_qs(url.query) == {"ticket": [body["ticket"]]}
    expires_at = parse_datetime(body["expires_at"])
    assert expires_at is not None
    assert datetime.timedelta(0) < expires_at - timezone.now() <= datetime.timedelta(seconds=30)
    assert response["X-RateLimit-Limit"]  # metered like any keyed request


def test_the_configured_websocket_url_is_used(api: APIClient, settings: Any) -> None:
    settings.REALTIME = {"WEBSOCKET_URL": "wss://ws.example.com/prod"}

    url = api.post("/v1/realtime/tickets/").json()["url"]

    assert url.startswith("wss://ws.example.com/prod?ticket=")


def test_without_a_key_there_is_no_ticket(anon_client: APIClient) -> None:
    response = anon_client.post("/v1/realtime/tickets")

    assert (response.status_code, response.json()) == (403, {"message": "Forbidden"})
    assert not Ticket.objects.exists()


def test_a_staff_session_is_not_enough(anon_client: APIClient) -> None:
    staff = UserFactory(is_staff=True)
    anon_client.force_login(staff)

    assert anon_client.post("/v1/realtime/tickets").status_code == 403


def test_only_post(api: APIClient) -> None:
    assert api.get("/v1/realtime/tickets").status_code == 405


def test_a_websocket_handshake_to_django_says_where_live_updates_are(
    anon_client: APIClient, caplog: pytest.LogCaptureFixture
) -> None:
    response = anon_client.get(
        "/", HTTP_UPGRADE="websocket", HTTP_CONNECTION="Upgrade", HTTP_SEC_WEBSOCKET_VERSION="13"
    )

    assert response.status_code == 400
    assert "make run" in response.json()["message"]
    assert "WebSocket handshake refused" in caplog.text
