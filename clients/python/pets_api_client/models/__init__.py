"""Contains all the data models used in inputs/outputs"""

from .error import Error
from .error_errors import ErrorErrors
from .get_health_deep import GetHealthDeep
from .health import Health
from .health_check import HealthCheck
from .health_check_status_enum import HealthCheckStatusEnum
from .health_checks import HealthChecks
from .key_summary import KeySummary
from .list_pets_ordering_item import ListPetsOrderingItem
from .list_photos_ordering_item import ListPhotosOrderingItem
from .local_upload_request import LocalUploadRequest
from .paginated_pet_list import PaginatedPetList
from .paginated_photo_list import PaginatedPhotoList
from .patched_pet_request import PatchedPetRequest
from .period_enum import PeriodEnum
from .pet import Pet
from .pet_request import PetRequest
from .photo import Photo
from .photo_content_type_enum import PhotoContentTypeEnum
from .photo_status_enum import PhotoStatusEnum
from .photo_upload_request import PhotoUploadRequest
from .photo_upload_start_request import PhotoUploadStartRequest
from .photo_upload_start_response import PhotoUploadStartResponse
from .plan_summary import PlanSummary
from .presigned_upload import PresignedUpload
from .presigned_upload_fields import PresignedUploadFields
from .quota import Quota
from .species_enum import SpeciesEnum
from .throttle import Throttle
from .ticket import Ticket
from .token_summary import TokenSummary
from .upload_method_enum import UploadMethodEnum
from .usage import Usage

__all__ = (
    "Error",
    "ErrorErrors",
    "GetHealthDeep",
    "Health",
    "HealthCheck",
    "HealthChecks",
    "HealthCheckStatusEnum",
    "KeySummary",
    "ListPetsOrderingItem",
    "ListPhotosOrderingItem",
    "LocalUploadRequest",
    "PaginatedPetList",
    "PaginatedPhotoList",
    "PatchedPetRequest",
    "PeriodEnum",
    "Pet",
    "PetRequest",
    "Photo",
    "PhotoContentTypeEnum",
    "PhotoStatusEnum",
    "PhotoUploadRequest",
    "PhotoUploadStartRequest",
    "PhotoUploadStartResponse",
    "PlanSummary",
    "PresignedUpload",
    "PresignedUploadFields",
    "Quota",
    "SpeciesEnum",
    "Throttle",
    "Ticket",
    "TokenSummary",
    "UploadMethodEnum",
    "Usage",
)
