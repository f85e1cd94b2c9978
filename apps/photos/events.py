"""The domain events of photos: photo.ready, photo.failed, photo.deleted (apps.common.events).

The event types are all that importers at start-up need (apps.realtime.protocol); the
serializer an event's data comes from is imported with the first event.
"""

from __future__ import annotations

from apps.common.events import DomainEvent
from apps.photos.models import Photo

READY = "photo.ready"
FAILED = "photo.failed"
DELETED = "photo.deleted"
TYPES = (READY, FAILED, DELETED)


def photo_event(event_type: str, photo: Photo) -> DomainEvent:
    """The event for `photo` as it is now; a deletion carries no data."""
    from apps.photos.serializers import PhotoEventSerializer

    data = None if event_type == DELETED else dict(PhotoEventSerializer(photo).data)
    return DomainEvent(
        type=event_type,
        owner_id=photo.owner_id,
        object_id=str(photo.pk),
        version=photo.version,
        data=data,
    )
