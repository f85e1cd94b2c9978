"""OpenAPI generation: readable operations for client generators, the error shape on every
operation, stage-aware server URLs, and views documented without loading the generator."""

from __future__ import annotations

from typing import Any

from django.urls import get_script_prefix
from django.utils.module_loading import autodiscover_modules
from drf_spectacular.extensions import OpenApiViewExtension
from drf_spectacular.generators import SchemaGenerator as BaseSchemaGenerator
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.views import APIView

from apps.common.idempotency import is_idempotent
from apps.common.views import HealthView


class ErrorSerializer(serializers.Serializer[Any]):
    """The body of every 4xx/5xx response."""

    message = serializers.CharField(help_text="What went wrong, for a human.")
    # DRF moves declared fields off the class, so this does not shadow Serializer.errors.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text='Validation errors by field: {"field": ["message", ...]}.',
    )

    class Meta:
        ref_name = "Error"


# DRF's CharField refuses NUL characters, and (trimming whitespace) a blank value unless
# allow_blank; these patterns say so in the document, so generated clients and fuzzers
# agree with the server. Python's \s is what str.strip() removes.
NO_NUL_PATTERN = r"^[^\x00]*$"
NOT_BLANK_PATTERN = r"^[^\x00]*[^\s\x00][^\x00]*$"


def _header(description: str, kind: str = "string") -> dict[str, Any]:
    return {"description": description, "schema": {"type": kind}}


RATE_LIMIT_HEADERS = {
    "X-RateLimit-Limit": _header("The key's quota for the period, or `unlimited`."),
    "X-RateLimit-Remaining": _header("Requests left in the period, or `unlimited`."),
    "X-RateLimit-Reset": _header("Seconds until the quota period resets."),
}
ETAG_HEADER = _header("The strong entity tag of the object (or list page) as it is now.")
REPLAYED_HEADER = _header(
    "`true` when this is the stored response of an earlier request with the same "
    "Idempotency-Key (absent otherwise)."
)

# What apps.common.conditional and apps.common.idempotency accept, so generated clients and
# fuzzers send what the server takes: `*`, or a list of entity tags; 1-255 printable ASCII.
# (The server also takes obs-text, bytes 0x80-0xFF, in a tag; the document keeps to ASCII.)
_TAG = r'(W/)?"[\x21\x23-\x7e]*"'
TAG_LIST_PATTERN = rf"^[ \t]*(\*|{_TAG}([ \t]*,[ \t]*{_TAG})*)[ \t]*$"
IDEMPOTENCY_KEY_PATTERN = r'^(?![ \t]*""[ \t]*$)[ -~]*[!-~][ -~]*$'
IF_MATCH = OpenApiParameter(
    "If-Match",
    {"type": "string", "pattern": TAG_LIST_PATTERN},
    OpenApiParameter.HEADER,
    description=(
        "Proceed only if the object's current ETag is one of these (strong comparison: "
        "`W/` tags never match), or `*`: else 412 with the current ETag, nothing written. "
        "Required on writes when CONDITIONAL_REQUESTS['REQUIRE_IF_MATCH'] is on (else 428)."
    ),
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    {"type": "string", "pattern": TAG_LIST_PATTERN},
    OpenApiParameter.HEADER,
    description=(
        "On a read: 304 with no body if the current ETag is one of these (weak comparison) "
        "or `*`. On a write: 412 if it is."
    ),
)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "maxLength": 255, "pattern": IDEMPOTENCY_KEY_PATTERN},
    OpenApiParameter.HEADER,
    description=(
        "A unique key (1-255 printable ASCII characters, optionally as a quoted string) per "
        "operation: a retry with the same key and request gets the first response "
        "(`Idempotent-Replayed: true`) and creates nothing; the same key with another "
        "request is a 422; while the first still runs, a 409. Kept 24 hours, per user."
    ),
)


SERVER_ERROR = OpenApiResponse(
    ErrorSerializer,
    "Server error: 500, 502 or 504 from the app or the gateway; 503 while the database is "
    "unavailable (see Retry-After). A proxy in between may answer with a non-JSON body.",
)
# What generated clients call each standard ViewSet action: `list_pets`, `create_pet`, ...
ACTION_VERBS = {
    "list": "list",
    "create": "create",
    "retrieve": "get",
    "update": "replace",
    "partial_update": "update",
    "destroy": "delete",
}
# The scheme generated clients should wire first: API keys are the public contract.
PRIMARY_SECURITY_SCHEME = "ApiKeyAuth"


class AutoSchema(BaseAutoSchema):
    """Adds the error responses each operation can really return, all in the Error shape,
    and the conditional-request and Idempotency-Key headers of the views that honour them;
    it names operations and request bodies the way client generators need them."""

    def _etag_methods(self) -> frozenset[str]:
        return frozenset(getattr(self.view, "etag_methods", ()))

    def _idempotent(self) -> bool:
        name = getattr(self.view, "action", None) or self.method.lower()
        return self.method == "POST" and is_idempotent(getattr(self.view, name, None))

    def get_override_parameters(self) -> list[Any]:
        parameters: list[Any] = list(super().get_override_parameters())
        if self.method in self._etag_methods():
            parameters += [IF_MATCH, IF_NONE_MATCH]
        if self._idempotent():
            parameters.append(IDEMPOTENCY_KEY)
        return parameters

    def get_operation_id(self) -> str:
        """`listPets`, `getPet`, `updatePet` (PATCH), `replacePet` (PUT): the action's verb and
        the model's name, so generated methods read well (views name other operations)."""
        verb = ACTION_VERBS.get(getattr(self.view, "action", None) or "")
        serializer = self._get_serializer()  # type: ignore[no-untyped-call]
        model = getattr(getattr(serializer, "Meta", None), "model", None)
        if verb is None or model is None:
            return str(super().get_operation_id())
        noun = model._meta.verbose_name_plural if verb == "list" else model._meta.verbose_name
        return verb + "".join(word.capitalize() for word in str(noun).split())

    def get_auth(self) -> list[dict[str, list[Any]]]:
        # Generators that wire one scheme take the first: make it the x-api-key header.
        auths: list[dict[str, list[Any]]] = super().get_auth()
        return sorted(auths, key=lambda auth: PRIMARY_SECURITY_SCHEME not in auth)

    def _map_basic_serializer(self, serializer: Any, direction: Any) -> dict[str, Any]:
        schema: dict[str, Any] = super()._map_basic_serializer(serializer, direction)  # type: ignore[no-untyped-call]
        if direction == "request" and self.method == "PATCH":
            # A partial update changes only the fields sent; DRF applies no default to the
            # others. A documented default makes generated clients send it (and wipe a field).
            for field in schema.get("properties", {}).values():
                field.pop("default", None)
        return schema

    def _insert_field_validators(self, field: Any, schema: dict[str, Any]) -> None:
        super()._insert_field_validators(field, schema)  # type: ignore[no-untyped-call]
        plain_string = schema.get("type") == "string" and not {"format", "pattern", "enum"} & set(
            schema
        )
        if isinstance(field, serializers.CharField) and not field.read_only and plain_string:
            blank_ok = field.allow_blank or not field.trim_whitespace
            schema["pattern"] = NO_NUL_PATTERN if blank_ok else NOT_BLANK_PATTERN

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        for code, description in self.error_responses().items():
            responses.setdefault(
                str(code),
                self._get_response_for_code(  # type: ignore[no-untyped-call]
                    OpenApiResponse(ErrorSerializer, description),
                    str(code),
                    media_types=["application/json"],
                    direction=direction,
                ),
            )
        if self.method == "GET" and "GET" in self._etag_methods():
            responses["304"] = {
                "description": "Not Modified: If-None-Match matched; no body.",
                "headers": {"ETag": ETAG_HEADER},
            }
        responses.setdefault(
            "5XX",
            self._get_response_for_code(  # type: ignore[no-untyped-call]
                SERVER_ERROR, "5XX", media_types=["application/json"], direction=direction
            ),
        )
        self._add_headers(responses)
        return responses

    def _add_headers(self, responses: dict[str, Any]) -> None:
        """Document the headers the responses carry (none is required: a request refused
        before its key was read has no X-RateLimit-* headers)."""
        metered = bool(self.view.get_throttles())
        for code, response in responses.items():
            headers = dict(RATE_LIMIT_HEADERS) if metered else {}
            if code == "201":
                headers["Location"] = _header("Absolute URL of the created resource.")
            if code in ("409", "429", "503", "5XX"):
                headers["Retry-After"] = _header(
                    "Seconds to wait before retrying (on 409, 429 and 503).", "integer"
                )
            if code in ("200", "201", "304", "412") and self._etag_methods():
                headers["ETag"] = ETAG_HEADER
            if self._idempotent():
                headers["Idempotent-Replayed"] = REPLAYED_HEADER
            if headers:
                response.setdefault("headers", {}).update(headers)

    def error_responses(self) -> dict[int, str]:
        """Status codes this operation can answer with, and why."""
        codes: dict[int, str] = {}
        has_body = self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer()
        if has_body or self._is_list_view() or self.get_filter_backends():
            codes[400] = "Invalid input: `errors` names each bad field or parameter."
        if not self._allows_anonymous():
            if any(auth.authenticate_header(None) for auth in self.view.get_authenticators()):  # type: ignore[arg-type]
                codes[401] = "Missing or wrong credentials."
            codes[403] = "Forbidden."
        if self._has_path_parameters() or self._is_list_view():
            codes[404] = (
                "Not Found (including objects owned by someone else, and pages past the end)."
            )
        if has_body:
            codes[413] = "Request Too Long: the body is over the size limit."
            codes[415] = "Unsupported media type for the request body."
        if self.view.get_throttles():
            codes[429] = "Too Many Requests or Limit Exceeded; see Retry-After."
        codes |= self._precondition_responses()
        return dict(sorted(codes.items()))

    def _precondition_responses(self) -> dict[int, str]:
        codes: dict[int, str] = {}
        if self.method in self._etag_methods():
            codes[400] = "Invalid input: `errors` names each bad field, parameter or header."
            codes[412] = (
                "Precondition Failed: If-Match did not match (or If-None-Match did, on a "
                "write); the ETag header is the current one, and nothing was written."
            )
            if self.method != "GET":
                codes[428] = "Precondition Required: send If-Match (REQUIRE_IF_MATCH is on)."
        if self._idempotent():
            codes[400] = "Invalid input: `errors` names each bad field, parameter or header."
            codes[409] = (
                "A request with this Idempotency-Key is still in progress; see Retry-After."
            )
            codes[422] = "This Idempotency-Key was already used for a different request."
            codes[503] = "The Idempotency-Key store is unavailable; retry after Retry-After."
        return codes

    def _allows_anonymous(self) -> bool:
        perms = [type(p) for p in self.view.get_permissions()]
        return permissions.AllowAny in perms or not perms

    def _has_path_parameters(self) -> bool:
        return "{" in self.path


def document_view(
    view: type[APIView], *, schema_class: type[AutoSchema] | None = None, **methods: Any
) -> None:
    """Document `view` as `@extend_schema_view(**methods)` (and `schema = schema_class()`)
    on it would, but only while the document is generated: an OpenApiViewExtension hands
    the generator an annotated subclass in its place.

    Annotating the view class itself reads DEFAULT_SCHEMA_CLASS when the class is defined,
    which imports this module, drf-spectacular's generator and, through its plumbing, DRF's
    test client, django.test and unittest: a cost every Lambda cold start paid for a
    document it rarely serves. So each app's operation texts live in its `schema` module,
    which SchemaGenerator loads, and the views the requests run are left untouched.
    """

    class Extension(OpenApiViewExtension):  # type: ignore[no-untyped-call]
        target_class = view

        def view_replacement(self) -> type[APIView]:
            replacement: type[APIView] = extend_schema_view(**methods)(
                type(view.__name__, (view,), {})
            )
            if schema_class is not None:
                # A method's annotation extends DEFAULT_SCHEMA_CLASS; the generator re-bases
                # it on the schema of the view in the URLconf (the original, here), so it
                # is re-based by annotating the class, as @extend_schema on a class does.
                replacement.schema = schema_class()
                replacement = extend_schema()(replacement)
            return replacement


class SchemaGenerator(BaseSchemaGenerator):
    """Paths as the contract spells them (no trailing slash), and the server the document
    was fetched from, stage prefix included; each app's `schema` module (its extensions
    and operation texts) is loaded here, with the generator, and not at start-up."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        autodiscover_modules("schema")
        super().__init__(*args, **kwargs)  # type: ignore[no-untyped-call]

    def get_schema(self, request: Request | None = None, public: bool = False) -> dict[str, Any]:
        schema: dict[str, Any] = super().get_schema(request, public)  # type: ignore[no-untyped-call]
        # Routes accept an optional trailing slash ("/?"); document the canonical form.
        schema["paths"] = {
            (path.rstrip("/") or "/"): item for path, item in schema["paths"].items()
        }
        if request is not None:
            root = request.build_absolute_uri(get_script_prefix()).rstrip("/")
            schema["servers"] = [{"url": root, "description": "This deployment"}]
        return schema


def enum_parameters_as_components(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """Postprocessing hook: a parameter whose values are exactly a component enum's (the
    `species` filter, SpeciesEnum) references it, so a generated client has one type for the
    field and its filter instead of a copy per operation."""
    schemas = result.get("components", {}).get("schemas", {})
    named = {
        (schema.get("type"), tuple(sorted(map(str, schema["enum"])))): name
        for name, schema in schemas.items()
        if "enum" in schema
    }
    for item in result.get("paths", {}).values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                key = (schema.get("type"), tuple(sorted(map(str, schema.get("enum", ())))))
                if "enum" in schema and key in named:
                    parameter["schema"] = {"$ref": f"#/components/schemas/{named[key]}"}
    return result


# The views of this app, documented here so that importing them loads no generator.
document_view(
    HealthView,
    get=extend_schema(
        operation_id="getHealth",
        tags=["health"],
        summary="Health check",
        description=(
            "No authentication. Answers after a real database round trip. With `deep=1` it "
            "checks the database, the bucket (or media folder) and Redis when configured, "
            "each with its time in milliseconds, and answers 503 when one fails; that answer "
            "is reused for a few seconds (DEEP_HEALTH_CACHE)."
        ),
        parameters=[
            OpenApiParameter(
                "deep",
                str,
                enum=["1", "0", "true", "false"],
                description="1: check every dependency, not only the database.",
            )
        ],
        responses={
            200: inline_serializer(
                "Health",
                {
                    "status": serializers.CharField(),
                    "checkedAt": serializers.DateTimeField(required=False),
                    "checks": serializers.DictField(
                        child=inline_serializer(
                            "HealthCheck",
                            {
                                "status": serializers.ChoiceField(["ok", "fail", "skipped"]),
                                "ms": serializers.FloatField(),
                                "kind": serializers.CharField(required=False),
                            },
                        ),
                        required=False,
                    ),
                },
            ),
            400: OpenApiResponse(ErrorSerializer, "`deep` is not 1, 0, true or false."),
            503: OpenApiResponse(
                ErrorSerializer,
                "The database is unreachable (deep: a dependency failed; the body adds the "
                "report, `status` `fail`).",
            ),
        },
    ),
)
