from typing import Literal

ListPhotosOrderingItem = Literal["-created_at", "created_at"]

LIST_PHOTOS_ORDERING_ITEM_VALUES: set[ListPhotosOrderingItem] = {
    "-created_at",
    "created_at",
}


def check_list_photos_ordering_item(value: str) -> ListPhotosOrderingItem:
    if value in LIST_PHOTOS_ORDERING_ITEM_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {LIST_PHOTOS_ORDERING_ITEM_VALUES!r}"
    )
