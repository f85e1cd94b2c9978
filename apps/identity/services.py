"""Writes: the Django user of a token's issuer and subject, created on first sight."""

from __future__ import annotations

import hashlib
import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from apps.identity.models import IdentityLink

logger = logging.getLogger(__name__)


def identity_username(*, issuer: str, subject: str) -> str:
    """A username no person picks: derived from the pair, so it is stable and unique."""
    digest = hashlib.sha256(f"{issuer}\n{subject}".encode()).hexdigest()
    return f"token-{digest[:24]}"


def _clean_email(email: str) -> str:
    try:
        validate_email(email)
    except ValidationError:
        return ""
    return email if len(email) <= 254 else ""


def identity_user_get_or_create(*, issuer: str, subject: str, email: str = "") -> AbstractBaseUser:
    """The user linked to (`issuer`, `subject`); a new user and link the first time.

    Two first requests at once both try to create; the unique link decides, and the
    loser reads the winner's row.
    """
    link = IdentityLink.objects.select_related("user").filter(issuer=issuer, subject=subject)
    found = link.first()
    if found is not None:
        return found.user
    email = _clean_email(email) if email else ""
    try:
        with transaction.atomic():
            user = get_user_model().objects.create_user(
                username=identity_username(issuer=issuer, subject=subject), email=email
            )
            IdentityLink.objects.create(issuer=issuer, subject=subject, user=user, email=email)
    except IntegrityError:
        existing = link.first()
        if existing is None:
            raise
        return existing.user
    logger.info("Token user created", extra={"userId": user.pk, "issuer": issuer})
    return user
