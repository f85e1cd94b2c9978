"""Django admin for photos: thumbnail previews, status filter, and a reprocess action."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html

from apps.photos import services, storage
from apps.photos.exceptions import ReprocessRejectedError
from apps.photos.models import OrphanedFile, Photo, PhotoStatus
from apps.photos.processing import Outcome


@admin.register(Photo)
class PhotoAdmin(admin.ModelAdmin[Photo]):
    list_display = ("preview", "id", "owner", "pet", "status", "content_type", "size", "created_at")
    list_filter = ("status", "content_type", ("owner", admin.RelatedOnlyFieldListFilter))
    # A trace id finds the photo an upload request (or its processing) logged.
    search_fields = (
        "id",
        "caption",
        "original_filename",
        "owner__username",
        "owner__email",
        "=trace_id",
    )
    list_select_related = ("owner", "pet")
    readonly_fields = (
        "large_preview",
        *(field.name for field in Photo._meta.fields if field.name not in ("caption",)),
    )
    fields = (*readonly_fields, "caption")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    actions = ("reprocess",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # Photos arrive through the upload API, which checks their bytes.

    def save_model(self, request: HttpRequest, obj: Photo, form: Any, change: bool) -> None:
        # Only the caption is editable. Writing the whole row would put back the status,
        # file names and version the form loaded, undoing processing that finished (or
        # started) meanwhile. A photo deleted meanwhile stays deleted.
        Photo.objects.filter(pk=obj.pk).update(caption=obj.caption, updated_at=timezone.now())

    @admin.display(description="Thumbnail")
    def preview(self, photo: Photo) -> str:
        return self._img(photo, photo.thumbnail.name, 64)

    @admin.display(description="Display size")
    def large_preview(self, photo: Photo) -> str:
        return self._img(photo, photo.display.name, 480)

    def _img(self, photo: Photo, name: str, size: int) -> str:
        if photo.status != PhotoStatus.READY or not name:
            return "—"
        # Served through the storage: a short-lived presigned URL on S3.
        url = storage.url(name)
        return format_html(
            '<img src="{}" alt="" style="max-width:{}px;max-height:{}px">', url, size, size
        )

    @admin.action(description="Reprocess the selected ready photos")
    def reprocess(self, request: HttpRequest, queryset: QuerySet[Photo]) -> None:
        outcomes: list[Outcome] = []
        for photo in queryset:
            try:
                outcomes.append(services.photo_reprocess(photo=photo))
            except ReprocessRejectedError as exc:
                outcomes.append(Outcome.REJECTED)
                # The photo stays ready with the images it had; say why nothing changed.
                self.message_user(
                    request, f"Photo {photo.pk} kept as it was: {exc.reason}", messages.ERROR
                )
        done = outcomes.count(Outcome.READY)
        self.message_user(request, f"Reprocessed {done} of {len(outcomes)} photos.")
        if skipped := outcomes.count(Outcome.SKIPPED) + outcomes.count(Outcome.GONE):
            self.message_user(
                request,
                f"{skipped} were not ready (only ready photos can be reprocessed).",
                messages.WARNING,
            )
        if busy := outcomes.count(Outcome.BUSY):
            self.message_user(
                request, f"{busy} are being processed now; try again later.", messages.WARNING
            )


@admin.register(OrphanedFile)
class OrphanedFileAdmin(admin.ModelAdmin[OrphanedFile]):
    """Files a delete could not remove, until the sweep deletes them: read-only."""

    list_display = ("name", "attempts", "first_failed_at", "last_failed_at", "last_error")
    search_fields = ("name",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: OrphanedFile | None = None) -> bool:
        return False
