"""Domain events: delivered after commit, never for rolled-back work, failures isolated."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.db import transaction

from apps.common.events import DomainEvent, publish, subscribe, unsubscribe

pytestmark = pytest.mark.django_db

Capture = Callable[..., AbstractContextManager[Any]]


AT = datetime.datetime(2025, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)


def event(n: int = 1) -> DomainEvent:
    return DomainEvent(
        type="pet.created", owner_id=1, object_id=n, version=1, data={"id": n}, at=AT
    )


@pytest.fixture
def failing_subscriber() -> Iterator[None]:
    def boom(event: DomainEvent) -> None:
        raise RuntimeError("subscriber down")

    subscribe(boom, dispatch_uid="tests.boom")
    yield
    unsubscribe(dispatch_uid="tests.boom")


def test_an_event_is_delivered_when_the_transaction_commits(
    published: list[DomainEvent], django_capture_on_commit_callbacks: Capture
) -> None:
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        publish(event())
        assert published == []  # not before the commit

    assert published == [event()]


def test_a_rolled_back_transaction_publishes_nothing(
    published: list[DomainEvent], django_capture_on_commit_callbacks: Capture
) -> None:
    def publish_then_fail() -> None:
        with transaction.atomic():
            publish(event())
            raise ZeroDivisionError

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ZeroDivisionError):
        publish_then_fail()

    assert published == []


def test_a_rolled_back_savepoint_drops_only_its_events(
    published: list[DomainEvent], django_capture_on_commit_callbacks: Capture
) -> None:
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        publish(event(1))
        try:
            with transaction.atomic():
                publish(event(2))
                raise ValueError
        except ValueError:
            pass
        publish(event(3))

    assert [e.object_id for e in published] == [1, 3]


def test_a_failing_subscriber_is_logged_and_the_others_still_receive(
    failing_subscriber: None,
    published: list[DomainEvent],
    django_capture_on_commit_callbacks: Capture,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with (
        caplog.at_level(logging.ERROR, logger="apps.common.events"),
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
    ):
        publish(event())

    assert published == [event()]
    (record,) = caplog.records
    assert record.eventType == "pet.created"  # type: ignore[attr-defined]
    assert record.subscriber == "tests.boom"  # type: ignore[attr-defined]


def test_subscribing_twice_with_one_uid_delivers_once(
    published: list[DomainEvent], django_capture_on_commit_callbacks: Capture
) -> None:
    subscribe(published.append, dispatch_uid="tests.published")  # the fixture's uid

    with django_capture_on_commit_callbacks(execute=True):
        publish(event())

    assert len(published) == 1


def test_the_message_is_the_documented_shape() -> None:
    message = event(7).message()

    assert set(message) == {"type", "id", "version", "data", "at"}
    assert message == {
        "type": "pet.created",
        "id": 7,
        "version": 1,
        "data": {"id": 7},
        "at": "2025-01-02T03:04:05Z",
    }
