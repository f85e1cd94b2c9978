"""A DRF router whose routes match with and without a trailing slash."""

from rest_framework.routers import SimpleRouter


class OptionalSlashRouter(SimpleRouter):
    """`/v1/pets` and `/v1/pets/` both route, with no redirect in between."""

    def __init__(self) -> None:
        super().__init__(trailing_slash=True, use_regex_path=True)
        self.trailing_slash = "/?"
