"""The domain events of photos: photo.ready, photo.failed, photo.deleted (apps.common.events)."""

from __future__ import annotations

from apps.common.events import DomainEvent
from apps.photos.models import Photo
from apps.photos.serializers import PhotoSerializer

READY = "photo.ready"
FAILED = "photo.failed"
DELETED = "photo.deleted"
TYPES = (READY, FAILED, DELETED)


class PhotoEventSerializer(PhotoSerializer):
    """The photo as GET /v1/photos/{id} shows it, without its URLs: they are presigned for
    minutes (and, on local storage, relative to a request's stage), so a client that wants
    the image reads the photo when the event arrives."""

    url = None  # type: ignore[assignment]
    thumbnail_url = None  # type: ignore[assignment]
    original_url = None  # type: ignore[assignment]

    class Meta(PhotoSerializer.Meta):
        fields = tuple(  # type: ignore[assignment]
            name
            for name in PhotoSerializer.Meta.fields
            if name not in ("url", "thumbnail_url", "original_url")
        )
        read_only_fields = fields  # type: ignore[assignment]


def photo_event(event_type: str, photo: Photo) -> DomainEvent:
    """The event for `photo` as it is now; a deletion carries no data."""
    data = None if event_type == DELETED else dict(PhotoEventSerializer(photo).data)
    return DomainEvent(
        type=event_type,
        owner_id=photo.owner_id,
        object_id=str(photo.pk),
        version=photo.version,
        data=data,
    )
