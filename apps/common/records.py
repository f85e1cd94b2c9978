"""Immutable value records written as plain slotted classes rather than frozen dataclasses."""

from __future__ import annotations

from typing import Any, ClassVar


class ValueRecord:
    """Equality, hash and repr over the attributes named in `_fields`, in that order, as a
    frozen dataclass gives them: equal only to an instance of the same class with equal
    values, hashed as the tuple of its values, shown as `Name(field=value, ...)`.

    Not a dataclass because @dataclass compiles its generated methods when its module is
    imported, which every Lambda cold start pays for. Subclasses declare `__slots__`, set
    their attributes (Final) in `__init__` and name them in `_fields`.
    """

    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._fields)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ValueRecord) or other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{self.__class__.__qualname__}({shown})"
