"""Owner scoping: a model's rows of one owner, the queryset every read of owner data starts from."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.db.models import Field, Model, QuerySet
from django.db.models.lookups import Lookup
from django.db.models.sql.where import AND


@lru_cache(maxsize=64)
def _owner_lookup(model: type[Model], field_name: str) -> tuple[Field[Any, Any], type[Lookup[Any]]]:
    field = model._meta.get_field(field_name)
    lookup = field.get_lookup("exact") if isinstance(field, Field) else None
    if not isinstance(field, Field) or not field.many_to_one or lookup is None:
        raise TypeError(f"{model.__name__}.{field_name} is not a foreign key")
    return field, lookup


def owned_by(model: type[Model], owner_pk: Any, *, field: str = "owner") -> QuerySet[Any]:
    """`model._default_manager.filter(<field>=owner_pk)`: the same query, the same SQL.

    Every keyed read of owner data starts here, and Django's `filter()` resolves the field
    name, checks and trims joins and wraps the value in a Q tree each time: about 300,000
    instructions of a ~4.3 M keyed detail read (docs/performance.md, issue 13). The
    condition it ends with is the foreign key's own `exact` lookup on the base table's column;
    that is made here directly, and the base table is referenced as `filter()` references
    it (`get_initial_alias`), so what follows (`filter`, `get`, `count`, `update`, `delete`,
    combining) sees the query `filter()` would have built.
    """
    foreign_key, lookup = _owner_lookup(model, field)
    queryset = model._default_manager.all()
    query = queryset.query
    alias = query.get_initial_alias()
    query.where.add(lookup(foreign_key.get_col(alias), owner_pk), AND)
    return queryset
