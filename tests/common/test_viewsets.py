"""apps.common.viewsets.GenericViewSet finds a viewset's @action methods statically: the same
ones, in the same order, as inspect.getmembers_static (and DRF's getattr-based lookup)."""

from __future__ import annotations

import inspect
from typing import Any

from rest_framework.decorators import MethodMapper, action
from rest_framework.response import Response

from apps.common.viewsets import GenericViewSet
from apps.pets.views import PetViewSet
from apps.photos.views import PhotoViewSet


def _static(cls: type[Any]) -> list[Any]:
    return [
        member
        for _, member in inspect.getmembers_static(cls)
        if isinstance(getattr(member, "mapping", None), MethodMapper)
    ]


class Base(GenericViewSet):
    @action(detail=False)
    def zebra(self, request: Any) -> Response:
        return Response()

    @action(detail=True)
    def alpha(self, request: Any, pk: str) -> Response:
        return Response()

    @action(detail=False)
    def hidden(self, request: Any) -> Response:
        return Response()


class Child(Base):
    hidden = None  # type: ignore[assignment]  # a subclass can shadow an action

    @action(detail=False)
    def alpha(self, request: Any) -> Response:  # type: ignore[override]
        return Response()

    @action(detail=False)
    def middle(self, request: Any) -> Response:
        return Response()


def test_actions_are_the_first_definitions_along_the_mro_sorted_by_name() -> None:
    actions = Child.get_extra_actions()

    assert [a.__name__ for a in actions] == ["alpha", "middle", "zebra"]
    assert actions[0] is Child.__dict__["alpha"]
    assert actions == _static(Child)
    assert Base.get_extra_actions() == _static(Base)


def test_the_project_viewsets_actions_are_those_getmembers_static_finds() -> None:
    for viewset in (PetViewSet, PhotoViewSet):
        assert viewset.get_extra_actions() == _static(viewset)
    assert [a.__name__ for a in PhotoViewSet.get_extra_actions()] == ["uploads"]
