"""Signal receivers: a deleted photo's stored files go too, however the row was deleted,
and its owner's clients hear `photo.deleted`.

Deleting a pet or a user cascades to their photos without calling any photos service,
so the cleanup and the event hang on post_delete (which Django sends for cascaded rows
too), and run only after the commit: a rolled-back delete keeps its files and says nothing.

The receivers are connected at start-up (apps.photos.apps), but what they call (the storage,
the event's serializers) is imported at the first delete: a process that never deletes a
photo, such as a Lambda cold start serving a pets request, does not load it.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, pre_delete
from django.dispatch import receiver

from apps.photos.models import Photo


@receiver(pre_delete, sender=Photo, dispatch_uid="photos.current_stored_names")
def current_stored_names(sender: type[Photo], instance: Photo, using: str, **kwargs: Any) -> None:
    """Refresh the names from the row itself, locked until the delete commits.

    The instance may be stale: a cascade (or a view) loaded it before processing recorded
    new files. With the lock, processing either recorded first (and we see its names) or
    waits and finds the row gone (and deletes what it stored itself).
    """
    names = ("original", "display", "thumbnail")
    row = (
        Photo.objects.using(using).select_for_update().filter(pk=instance.pk).values(*names).first()
    )
    for name, value in (row or {}).items():
        getattr(instance, name).name = value


@receiver(post_delete, sender=Photo, dispatch_uid="photos.delete_stored_files")
def delete_stored_files(sender: type[Photo], instance: Photo, using: str, **kwargs: Any) -> None:
    from apps.common.events import publish
    from apps.photos import events, storage

    # The upload key too: a presigned POST can land after its photo was deleted.
    names = [*instance.stored_names(), storage.upload_key(instance.pk)]
    transaction.on_commit(partial(storage.delete_quietly, names), using=using)
    publish(events.photo_event(events.DELETED, instance), using=using)
