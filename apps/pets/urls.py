"""Routes for /v1/pets; the trailing slash is optional."""

from apps.pets.views import PetViewSet
from gatewayproject.routers import OptionalSlashRouter

app_name = "pets"

router = OptionalSlashRouter()
router.register("pets", PetViewSet, basename="pet")

urlpatterns = router.urls
