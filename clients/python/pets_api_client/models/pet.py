from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.species_enum import SpeciesEnum, check_species_enum
from ..types import UNSET, Unset

T = TypeVar("T", bound="Pet")


@_attrs_define
class Pet:
    """A pet as clients see it; `owner` is always the caller and never in the body.

    Attributes:
        id (int):
        name (str): 1 to 100 characters.
        species (SpeciesEnum): * `dog` - Dog
            * `cat` - Cat
            * `bird` - Bird
            * `fish` - Fish
            * `rabbit` - Rabbit
            * `rodent` - Rodent
            * `reptile` - Reptile
            * `other` - Other
        version (int):
        created_at (datetime.datetime):
        updated_at (datetime.datetime):
        birth_date (datetime.date | None | Unset): Optional; not in the future.
        notes (str | Unset): Free text, up to 2000 characters. Default: ''.
    """

    id: int
    name: str
    species: SpeciesEnum
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime
    birth_date: datetime.date | None | Unset = UNSET
    notes: str | Unset = ""
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        name = self.name

        species: str = self.species

        version = self.version

        created_at = self.created_at.isoformat()

        updated_at = self.updated_at.isoformat()

        birth_date: None | str | Unset
        if isinstance(self.birth_date, Unset):
            birth_date = UNSET
        elif isinstance(self.birth_date, datetime.date):
            birth_date = self.birth_date.isoformat()
        else:
            birth_date = self.birth_date

        notes = self.notes

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "name": name,
                "species": species,
                "version": version,
                "created_at": created_at,
                "updated_at": updated_at,
            }
        )
        if birth_date is not UNSET:
            field_dict["birth_date"] = birth_date
        if notes is not UNSET:
            field_dict["notes"] = notes

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        name = d.pop("name")

        species = check_species_enum(d.pop("species"))

        version = d.pop("version")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        def _parse_birth_date(data: object) -> datetime.date | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                birth_date_type_0 = datetime.date.fromisoformat(data)

                return birth_date_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.date | None | Unset, data)

        birth_date = _parse_birth_date(d.pop("birth_date", UNSET))

        notes = d.pop("notes", UNSET)

        pet = cls(
            id=id,
            name=name,
            species=species,
            version=version,
            created_at=created_at,
            updated_at=updated_at,
            birth_date=birth_date,
            notes=notes,
        )

        pet.additional_properties = d
        return pet

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
