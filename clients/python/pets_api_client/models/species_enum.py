from typing import Literal

SpeciesEnum = Literal[
    "bird", "cat", "dog", "fish", "other", "rabbit", "reptile", "rodent"
]

SPECIES_ENUM_VALUES: set[SpeciesEnum] = {
    "bird",
    "cat",
    "dog",
    "fish",
    "other",
    "rabbit",
    "reptile",
    "rodent",
}


def check_species_enum(value: str) -> SpeciesEnum:
    if value in SPECIES_ENUM_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {SPECIES_ENUM_VALUES!r}"
    )
