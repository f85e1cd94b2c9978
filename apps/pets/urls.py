"""Routes for /v1/pets; the trailing slash is optional."""

from apps.common.routers import OptionalSlashRouter
from apps.pets.views import PetViewSet

app_name = "pets"

router = OptionalSlashRouter()
router.register("pets", PetViewSet, basename="pet")

urlpatterns = router.urls
