"""Entity tags and preconditions (RFC 9110 §8.8.3 and §13): parsing, comparison, evaluation."""

from __future__ import annotations

import enum
import hashlib
import re
from collections.abc import Iterable, Mapping
from typing import Any, Literal, NamedTuple

from rest_framework import exceptions

from apps.common.conf import app_settings


class ConditionalSettings(NamedTuple):
    """`settings.CONDITIONAL_REQUESTS` keys and their defaults."""

    # PUT, PATCH and DELETE of versioned objects (pets, photos) need If-Match, or answer
    # 428 (env REQUIRE_IF_MATCH). Off: If-Match is honoured when sent.
    REQUIRE_IF_MATCH: bool = False


DEFAULTS = ConditionalSettings()


def conditional_settings() -> ConditionalSettings:
    """The current settings (override_settings works: nothing is cached)."""
    return app_settings("CONDITIONAL_REQUESTS", DEFAULTS)


# `If-Match: *` and `If-None-Match: *`: any current representation.
ANY: Literal["*"] = "*"

# entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, etagc = %x21 / %x23-7E / obs-text.
# WSGI hands header values over as latin-1 text, so obs-text is U+0080..U+00FF here.
_TAG = re.compile(r'(W/)?"([\x21\x23-\x7e\x80-\xff]*)"')
_OWS = " \t"


class EntityTag(NamedTuple):
    opaque: str  # between the quotes
    weak: bool = False

    def __str__(self) -> str:
        return f'{"W/" if self.weak else ""}"{self.opaque}"'


Tags = tuple[EntityTag, ...] | Literal["*"]


class MalformedHeaderError(exceptions.ValidationError):
    """A precondition header that is not `*` or a list of entity tags: 400, naming it.

    Refused rather than ignored: a client that sent If-Match expects its write to be
    conditional, and ignoring a typo would make it unconditional.
    """

    def __init__(self, header: str) -> None:
        super().__init__(
            {header: ['Must be * or a comma-separated list of entity tags ("..." or W/"...").']}
        )


def parse_tags(value: str, *, header: str) -> Tags:
    """`*`, or the list's tags in order (empty list elements are allowed by §5.6.1)."""
    stripped = value.strip(_OWS)
    if stripped == ANY:
        return ANY
    tags: list[EntityTag] = []
    position, end = 0, len(value)
    while position < end:
        if value[position] in _OWS or value[position] == ",":
            position += 1
            continue
        match = _TAG.match(value, position)
        if match is None:
            raise MalformedHeaderError(header)
        tags.append(EntityTag(match.group(2), weak=match.group(1) is not None))
        position = match.end()
        while position < end and value[position] in _OWS:
            position += 1
        if position < end and value[position] != ",":
            raise MalformedHeaderError(header)
    if not tags:
        raise MalformedHeaderError(header)
    return tuple(tags)


def strong_match(tags: Tags, current: EntityTag) -> bool:
    """§8.8.3.2 strong comparison: both tags strong and their opaque parts equal."""
    if tags == ANY:
        return True
    return not current.weak and any(not t.weak and t.opaque == current.opaque for t in tags)


def weak_match(tags: Tags, current: EntityTag) -> bool:
    """§8.8.3.2 weak comparison: the opaque parts equal, either tag may be weak."""
    return tags == ANY or any(t.opaque == current.opaque for t in tags)


def _digest(*parts: object) -> str:
    text = "\x1f".join(str(part) for part in parts)
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def object_etag(*, kind: str, pk: object, version: int) -> EntityTag:
    """The strong tag of one object's representation: its kind, identity and `version`.

    `kind` names the resource and its representation (the serializer's fields), so
    another pet at the same version, or a response shape changed by a deploy, never
    matches.
    """
    return EntityTag(_digest(kind, pk, version))


def page_etag(*, kind: str, count: int, rows: Iterable[tuple[object, int]]) -> EntityTag:
    """The strong tag of a list page, from what it shows: the total and each row's
    identity and version, in order (the page's rows are already loaded: no query)."""
    return EntityTag(_digest(kind, count, *(f"{pk}:{version}" for pk, version in rows)))


def data_etag(data: Any) -> EntityTag:
    """The strong tag of a representation with no version: a digest of its data."""
    return EntityTag(_digest(repr(data)))


class Outcome(enum.Enum):
    PROCEED = "proceed"
    NOT_MODIFIED = "not_modified"  # 304
    FAILED = "failed"  # 412


class Preconditions(NamedTuple):
    """A request's If-Match and If-None-Match, parsed (None: absent)."""

    if_match: Tags | None = None
    if_none_match: Tags | None = None

    @classmethod
    def from_meta(cls, meta: Mapping[str, Any]) -> Preconditions:
        """Read them from a WSGI environ; a malformed one raises MalformedHeaderError."""
        if_match = meta.get("HTTP_IF_MATCH")
        if_none_match = meta.get("HTTP_IF_NONE_MATCH")
        return cls(
            None if if_match is None else parse_tags(if_match, header="If-Match"),
            None if if_none_match is None else parse_tags(if_none_match, header="If-None-Match"),
        )

    @property
    def pins_version(self) -> bool:
        """Whether the outcome depended on the current tag, so a write must only happen
        if the object is still at the version it was evaluated against."""
        return self.if_match not in (None, ANY) or self.if_none_match is not None

    def evaluate(self, current: EntityTag, *, safe: bool) -> Outcome:
        """§13.2.2 for an existing resource: If-Match first, then If-None-Match (304 for
        GET/HEAD, 412 otherwise). If-(Un)Modified-Since are not used: no Last-Modified."""
        if self.if_match is not None and not strong_match(self.if_match, current):
            return Outcome.FAILED
        if self.if_none_match is not None and weak_match(self.if_none_match, current):
            return Outcome.NOT_MODIFIED if safe else Outcome.FAILED
        return Outcome.PROCEED


class StaleVersionError(Exception):
    """A write conditional on a version found the object at another one (nothing written).

    Raised by services; the view answers 412 with the tag of `current_version`.
    """

    def __init__(self, current_version: int) -> None:
        super().__init__(f"The object is at version {current_version}.")
        self.current_version = current_version


class PreconditionFailed(exceptions.APIException):
    """412 with the current ETag, so the client can read the object again and retry."""

    status_code = 412
    default_detail = "Precondition Failed"
    default_code = "precondition_failed"

    def __init__(self, etag: EntityTag) -> None:
        super().__init__()
        self.headers = {"ETag": str(etag)}


class PreconditionRequired(exceptions.APIException):
    """428 (RFC 6585): the deployment requires If-Match on this write."""

    status_code = 428
    default_detail = "Precondition Required"
    default_code = "precondition_required"
