from typing import Literal

ListPetsOrderingItem = Literal["-created_at", "-name", "created_at", "name"]

LIST_PETS_ORDERING_ITEM_VALUES: set[ListPetsOrderingItem] = {
    "-created_at",
    "-name",
    "created_at",
    "name",
}


def check_list_pets_ordering_item(value: str) -> ListPetsOrderingItem:
    if value in LIST_PETS_ORDERING_ITEM_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {LIST_PETS_ORDERING_ITEM_VALUES!r}"
    )
