"""Serializer plumbing shared by the apps: reads that skip DRF's per-instance field build."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.core.signals import setting_changed
from rest_framework import fields, serializers
from rest_framework.relations import PKOnlyObject

# DRF fields whose `get_attribute` and `to_representation` read only the value and the
# field's own arguments: never the parent serializer, its context (the request) or the
# instance being serialized beyond the field's source. A subclass that overrides either
# method (a SerializerMethodField calls its parent, a hyperlink needs the request) is not
# on this list, and a serializer with such a field reads the DRF way.
_REPRESENTATIONS = frozenset(
    cls.to_representation
    for cls in (
        fields.BigIntegerField,  # type: ignore[attr-defined]  # (DRF 3.16+, not in the stubs)
        fields.BooleanField,
        fields.CharField,
        fields.ChoiceField,
        fields.DateField,
        fields.DateTimeField,
        fields.DecimalField,
        fields.DurationField,
        fields.FloatField,
        fields.IntegerField,
        fields.JSONField,
        fields.ReadOnlyField,
        fields.TimeField,
        fields.UUIDField,
    )
)

_DRF_GET_FIELDS = (serializers.Serializer.get_fields, serializers.ModelSerializer.get_fields)


def _context_free(field: fields.Field[Any, Any, Any, Any]) -> bool:
    kind = type(field)
    default = field.default
    return (
        kind.to_representation in _REPRESENTATIONS
        and kind.get_attribute is fields.Field.get_attribute
        and not getattr(default, "requires_context", False)
    )


@cache
def _readable_fields(
    serializer_class: type[serializers.Serializer[Any]],
) -> tuple[fields.Field[Any, Any, Any, Any], ...] | None:
    """The readable fields of one context-free instance of the class (None: a field needs
    its serializer's context, read the DRF way). Built once per process, by DRF itself."""
    if serializer_class.get_fields not in _DRF_GET_FIELDS:
        return None  # Its own get_fields may depend on the instance or the request.
    template = serializer_class()
    readable = tuple(template._readable_fields)
    return readable if all(_context_free(field) for field in readable) else None


def _forget(**kwargs: Any) -> None:
    # A field's arguments can come from settings (DRF's api_settings): tests that
    # override settings get fields built under their settings.
    _readable_fields.cache_clear()


setting_changed.connect(_forget, dispatch_uid="apps.common.serializers._forget")


class CachedReadFieldsMixin(serializers.Serializer[Any]):
    """Reads (`.data` of an instance) with fields built once per class, not per instance.

    DRF builds a serializer's fields on each instantiation: its declared fields deep-copied,
    the model's fields derived from the model again (about 9,000 Python opcodes for eight
    fields, a fifth of a keyed `GET /v1/pets/{id}`). A representation needs none of that when
    every field is context-free (see `_REPRESENTATIONS`): they are built once and shared.
    The output is DRF's, key for key: the same loop over the same fields. Writes, the
    browsable API's forms and an instance whose `fields` were already built or edited read
    `self.fields` as DRF does.
    """

    def to_representation(self, instance: Any) -> dict[str, Any]:
        readable = None if "fields" in self.__dict__ else _readable_fields(type(self))
        if readable is None:
            return super().to_representation(instance)
        ret: dict[str, Any] = {}
        for field in readable:  # DRF's Serializer.to_representation, over shared fields
            try:
                attribute = field.get_attribute(instance)
            except fields.SkipField:
                continue
            check_for_none = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
            # (field_name is set by bind: never None here)
            if check_for_none is None:
                ret[field.field_name] = None  # type: ignore[index]
            else:
                ret[field.field_name] = field.to_representation(attribute)  # type: ignore[index]
        return ret
