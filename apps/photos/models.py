"""The Photo model: an owner's image, its processing status and its stored files."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

CAPTION_MAX_LENGTH = 500
FILENAME_MAX_LENGTH = 255
REASON_MAX_LENGTH = 200
TRACE_ID_MAX_LENGTH = 35  # 1-<8 hex>-<24 hex>
# The largest BigAutoField id (a pet's); larger numbers overflow the database's integer.
MAX_ID = 2**63 - 1


class PhotoStatus(models.TextChoices):
    """pending_upload -> processing -> ready | failed (a presigned upload starts pending)."""

    PENDING_UPLOAD = "pending_upload", "Waiting for the upload"
    PROCESSING = "processing", "Processing"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class Photo(models.Model):
    # A UUID, not a counter: it is part of storage keys and URLs, so it must not be guessable
    # or reveal how many photos exist.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="photos"
    )
    # Deleting a pet deletes its photos; a post_delete receiver removes their stored files.
    pet = models.ForeignKey(
        "pets.Pet", on_delete=models.CASCADE, null=True, blank=True, related_name="photos"
    )
    caption = models.CharField(max_length=CAPTION_MAX_LENGTH, blank=True, default="")
    status = models.CharField(
        max_length=16, choices=PhotoStatus.choices, default=PhotoStatus.PENDING_UPLOAD
    )
    failure_reason = models.CharField(max_length=REASON_MAX_LENGTH, blank=True, default="")
    # The client's name for the file, sanitised; never used to build a storage key.
    original_filename = models.CharField(max_length=FILENAME_MAX_LENGTH, blank=True, default="")
    # Storage keys. `original` is the upload key while pending, then the stored original.
    original = models.FileField(max_length=255, blank=True, default="")
    display = models.FileField(max_length=255, blank=True, default="")
    thumbnail = models.FileField(max_length=255, blank=True, default="")
    # Facts about the original, all measured by the server: the sniffed type, not the client's.
    content_type = models.CharField(max_length=32, blank=True, default="")
    size = models.PositiveBigIntegerField(null=True, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    checksum = models.CharField(max_length=64, blank=True, default="", help_text="SHA-256, hex.")
    # Bumped on every update; the basis for strong ETags and lost-update checks.
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # The X-Ray trace id of the request that created the photo: its processing (another
    # invocation, another trace) logs it as `uploadTraceId`, so one photo can be followed
    # from the upload to the end of processing (docs/observability.md).
    trace_id = models.CharField(
        max_length=TRACE_ID_MAX_LENGTH,
        blank=True,
        default="",
        editable=False,
        help_text="X-Ray trace id of the request that created the photo.",
    )

    class Meta:
        ordering = ("-created_at", "-pk")
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="photos_owner_created_idx"),
            models.Index(fields=["owner", "status"], name="photos_owner_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=PhotoStatus.values), name="photos_photo_status_valid"
            ),
            # A ready photo always has every measured fact and both derived images.
            models.CheckConstraint(
                condition=~Q(status=PhotoStatus.READY)
                | (
                    Q(width__isnull=False, height__isnull=False, size__isnull=False)
                    & ~Q(checksum="")
                    & ~Q(content_type="")
                    & ~Q(original="")
                    & ~Q(display="")
                    & ~Q(thumbnail="")
                ),
                name="photos_photo_ready_complete",
            ),
            models.CheckConstraint(
                condition=~Q(status=PhotoStatus.FAILED) | ~Q(failure_reason=""),
                name="photos_photo_failed_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Photo {self.pk} ({self.status})"

    def stored_names(self) -> list[str]:
        """Every storage key this photo may own (empty names left out)."""
        return [
            name for name in (self.original.name, self.display.name, self.thumbnail.name) if name
        ]


class OrphanedFile(models.Model):
    """A stored file a delete could not remove (an S3 error, a failing disk).

    Kept until the scheduled sweep (`photos_sweep_uploads`, or Lambda's every 15 minutes)
    deletes it: without it, a failed delete would leave the file in the bucket for good.
    """

    name = models.CharField(max_length=255, unique=True)
    first_failed_at = models.DateTimeField(auto_now_add=True)
    last_failed_at = models.DateTimeField(auto_now=True)
    attempts = models.PositiveIntegerField(default=1)
    last_error = models.CharField(max_length=REASON_MAX_LENGTH, blank=True, default="")

    class Meta:
        ordering = ("first_failed_at", "pk")

    def __str__(self) -> str:
        return self.name
