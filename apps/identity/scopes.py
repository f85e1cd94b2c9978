"""OAuth scopes a token needs per view: `<resource>/read` for reads, `<resource>/write` else.

The names are what the template's Cognito resource server (identifier `pets`) issues; an
external issuer must issue the same strings (docs/identity.md).
"""

from __future__ import annotations

from typing import NamedTuple


class ScopePair(NamedTuple):
    """The scope for safe methods (GET, HEAD, OPTIONS) and the one for every other."""

    read: str
    write: str


PETS = ScopePair(read="pets/read", write="pets/write")
ALL_SCOPES = (PETS.read, PETS.write)
# A view that any valid token may call (its own usage, say).
NO_SCOPE = None
