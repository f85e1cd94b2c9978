"""factory_boy factories for photos (rows only; tests that need stored bytes upload them)."""

from __future__ import annotations

import hashlib
import uuid

import factory

from apps.photos import storage
from apps.photos.models import Photo, PhotoStatus
from tests.factories import UserFactory


class ReadyPhotoFactory(factory.django.DjangoModelFactory):
    """A `ready` photo whose file names follow the real layout; `pending=True` for a new one."""

    class Meta:
        model = Photo

    class Params:
        pending = factory.Trait(
            status=PhotoStatus.PENDING_UPLOAD,
            original=factory.LazyAttribute(lambda p: storage.upload_key(p.id)),
            display="",
            thumbnail="",
            content_type="",
            size=None,
            width=None,
            height=None,
            checksum="",
        )

    id = factory.LazyFunction(uuid.uuid4)
    owner = factory.SubFactory(UserFactory)
    status = PhotoStatus.READY
    original = factory.LazyAttribute(lambda p: f"photos/{p.id}/original-2.jpg")
    display = factory.LazyAttribute(lambda p: f"photos/{p.id}/display-2.jpg")
    thumbnail = factory.LazyAttribute(lambda p: f"photos/{p.id}/thumbnail-2.jpg")
    content_type = "image/jpeg"
    size = 1000
    width = 640
    height = 480
    checksum = factory.LazyFunction(lambda: hashlib.sha256(uuid.uuid4().bytes).hexdigest())
    version = 2
