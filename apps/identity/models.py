"""The link from a token's issuer and subject to the Django user it signs in."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class IdentityLink(models.Model):
    """(`iss`, `sub`) of a token → a Django user, made the first time the token is seen.

    A user is never found by guessing from a username or an email: a subject is the
    issuer's stable id for a person, and only this row says who that is here.
    """

    issuer = models.CharField(max_length=255, help_text="The token's `iss` claim.")
    subject = models.CharField(max_length=255, help_text="The token's `sub` claim.")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="identity_links"
    )
    email = models.EmailField(blank=True, help_text="The `email` claim when first seen.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("issuer", "subject")
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "subject"], name="identity_link_issuer_subject_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} @ {self.issuer}"
