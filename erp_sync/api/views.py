"""The ERP API views: the OAuth2 token endpoint and the master-data sync endpoints.

One APIView per operation. Every sync endpoint takes a JSON array of Visma DTOs (read
shape, or write shape with `{"value": x}` scalars), validates all of it, then calls one
service that writes everything in one transaction, and answers the counts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers
from rest_framework.exceptions import NotFound, UnsupportedMediaType
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from erp_sync.api import dto, examples
from erp_sync.api.base import ErpApiView
from erp_sync.api.errors import (
    PROBLEM_MEDIA_TYPE,
    problem_response,
    problem_response_schema,
    problem_responses,
)
from erp_sync.api.oauth import token_response
from erp_sync.services.sync import (
    branches_upsert_from_erp,
    departments_upsert_from_erp,
    employees_upsert_from_erp,
    projects_upsert_from_erp,
    subaccount_segments_upsert_from_erp,
    subaccounts_upsert_from_erp,
)
from erp_sync.services.upsert import SyncResult

#: Rows per sync request; larger syncs are sent in several requests.
MAX_SYNC_ROWS = 20_000

SYNC_TAG = "Master data"


# --- shared DTO parts ------------------------------------------------------------------


@extend_schema_serializer(component_name="ContactDto")
class ContactSerializer(serializers.Serializer):
    email = serializers.EmailField(
        max_length=254, required=False, allow_blank=True, allow_null=True
    )
    firstName = dto.text(150)
    lastName = dto.text(150)


@extend_schema_serializer(component_name="ProjectManagerDto")
class ProjectManagerSerializer(serializers.Serializer):
    employeeNumber = serializers.CharField(max_length=30)
    employeeName = dto.text(200)
    employeeId = dto.ErpIdField()
    employeeUserId = serializers.UUIDField(required=False, allow_null=True)
    employeeLogin = dto.text(150)
    status = dto.text(30)
    contact = ContactSerializer(required=False, allow_null=True)


@extend_schema_serializer(component_name="SyncCounts")
class SyncCountsSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField(help_text="Changed, including reactivated.")
    unchanged = serializers.IntegerField()
    deactivated = serializers.IntegerField(
        help_text="Switched from active to inactive."
    )


class SyncApi(ErpApiView):
    """A PUT of a JSON array of DTOs, upserted by one service into the client's company."""

    InputSerializer: ClassVar[type[serializers.Serializer]]
    to_rows: ClassVar[Callable[[Sequence[dict[str, Any]]], Sequence[Any]]]
    upsert: ClassVar[Callable[..., SyncResult]]

    def put(self, request: Request) -> Response:
        serializer = self.InputSerializer(
            data=dto.unwrap_values(request.data), many=True, max_length=MAX_SYNC_ROWS
        )
        serializer.is_valid(raise_exception=True)
        rows = type(self).to_rows(serializer.validated_data)
        result = type(self).upsert(company=self.company(), rows=rows)
        return Response(SyncCountsSerializer(result.as_counts()).data)


def sync_schema(
    *,
    summary: str,
    description: str,
    read: list[dict[str, Any]],
    write: list[dict[str, Any]],
    counts: dict[str, int],
) -> Callable[[type[SyncApi]], type[SyncApi]]:
    """The OpenAPI operation of a sync view; its InputSerializer is the array item."""

    def decorate(view: type[SyncApi]) -> type[SyncApi]:
        return extend_schema(
            methods=["PUT"],
            tags=[SYNC_TAG],
            summary=summary,
            description=description + SYNC_RULES,
            request=view.InputSerializer(many=True),
            responses={
                200: OpenApiResponse(SyncCountsSerializer, description="What changed."),
                **problem_responses(400, 401, 413, 415, 503),
            },
            examples=examples.sync_examples(read, write, counts),
        )(view)

    return decorate


SYNC_RULES = (
    "\n\nBody: a JSON array (at most 20 000 rows, 5 MB) of Visma DTOs, read shape or "
    'write shape (`{"value": x}` scalars); unknown fields are ignored. Rows are '
    "matched by their ERP key within the client's company; rows missing from the "
    "array are left alone; a field left out keeps its stored value. Re-sending the "
    "same body changes nothing. One bad row → 400 with the path of each bad value, "
    "and nothing of the request is written."
)


# --- subaccount segments ---------------------------------------------------------------


@sync_schema(
    summary="Sync subaccount segments (cost unit types) and their values",
    description=(
        "Each `DtoSegment` is a cost unit type keyed by `segmentId`; its "
        "`segmentValues` are cost units keyed by `valueId` within the segment. Counts "
        "cover segments and values. `active: false` on a value deactivates it."
    ),
    read=examples.SEGMENTS_READ,
    write=examples.SEGMENTS_WRITE,
    counts={"created": 5, "updated": 0, "unchanged": 0, "deactivated": 0},
)
class SubaccountSegmentSyncApi(SyncApi):
    @extend_schema_serializer(component_name="DtoSegment")
    class InputSerializer(serializers.Serializer):
        @extend_schema_serializer(component_name="DtoSegmentValue")
        class ValueSerializer(serializers.Serializer):
            valueId = serializers.CharField(max_length=30)
            description = dto.text(200)
            active = dto.flag()
            publicId = dto.ErpIdField()

        segmentId = serializers.IntegerField(min_value=1, max_value=32767)
        description = dto.text(100)
        active = dto.flag()
        publicId = dto.ErpIdField()
        # A null list is allowed, a null item in it is not (`many=True` would pass
        # allow_null to the child too, and a null item would reach the sync as None).
        segmentValues = serializers.ListSerializer(
            child=ValueSerializer(), required=False, allow_null=True
        )

    to_rows = staticmethod(dto.segment_rows)
    upsert = staticmethod(subaccount_segments_upsert_from_erp)


# --- subaccounts -----------------------------------------------------------------------


@sync_schema(
    summary="Sync subaccounts (cost unit combinations)",
    description=(
        "Each `SubAccountDto` is keyed by `subaccountNumber` (in the write shape it may "
        "be left out: the segment values joined with `-`). Its segment values become "
        "cost units of their segment, created if unknown; counts cover subaccounts."
    ),
    read=examples.SUBACCOUNTS_READ,
    write=examples.SUBACCOUNTS_WRITE,
    counts={"created": 1, "updated": 0, "unchanged": 0, "deactivated": 0},
)
class SubaccountSyncApi(SyncApi):
    @extend_schema_serializer(component_name="SubAccountDto")
    class InputSerializer(serializers.Serializer):
        @extend_schema_serializer(component_name="SubAccountSegmentDto")
        class SegmentSerializer(serializers.Serializer):
            segmentId = serializers.IntegerField(min_value=1, max_value=32767)
            segmentDescription = dto.text(100)
            segmentValue = serializers.CharField(max_length=30)
            segmentValueDescription = dto.text(200)

        subaccountNumber = serializers.CharField(max_length=60, required=False)
        subaccountId = dto.ErpIdField()
        description = dto.text(200)
        active = dto.flag()
        # A null list yes, a null item no (see segmentValues above).
        segments = serializers.ListSerializer(
            child=SegmentSerializer(), required=False, allow_null=True
        )

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if attrs.get("subaccountNumber"):
                return attrs
            if not attrs.get("segments"):
                raise serializers.ValidationError(
                    {"subaccountNumber": "Give subaccountNumber or the segments."},
                    code="required",
                )
            number = dto.derived_subaccount_number(attrs["segments"])
            if len(number) > 60:
                raise serializers.ValidationError(
                    {"segments": "The joined segment values exceed 60 characters."},
                    code="max_length",
                )
            return {**attrs, "subaccountNumber": number}

    to_rows = staticmethod(dto.subaccount_rows)
    upsert = staticmethod(subaccounts_upsert_from_erp)


# --- departments -----------------------------------------------------------------------


@sync_schema(
    summary="Sync departments",
    description="Each `DepartmentDto` is keyed by `departmentId`.",
    read=examples.DEPARTMENTS_READ,
    write=examples.DEPARTMENTS_WRITE,
    counts={"created": 1, "updated": 0, "unchanged": 0, "deactivated": 0},
)
class DepartmentSyncApi(SyncApi):
    @extend_schema_serializer(component_name="DepartmentDto")
    class InputSerializer(serializers.Serializer):
        departmentId = serializers.CharField(max_length=30)
        description = dto.text(200)
        publicId = dto.ErpIdField()
        active = dto.flag(help_text="Not in Visma's DTO; `false` deactivates.")

    to_rows = staticmethod(dto.department_rows)
    upsert = staticmethod(departments_upsert_from_erp)


# --- projects --------------------------------------------------------------------------


@sync_schema(
    summary="Sync projects with their tasks and project manager",
    description=(
        "Each `ProjectDto` is keyed by `projectID`; its `tasks` by `taskId` within the "
        "project (tasks left out of the list are left alone). `projectManager` is "
        "matched by `employeeNumber`; an unknown manager is created as a minimal "
        "employee without a login. Counts cover projects and tasks."
    ),
    read=examples.PROJECTS_READ,
    write=examples.PROJECTS_WRITE,
    counts={"created": 3, "updated": 0, "unchanged": 0, "deactivated": 0},
)
class ProjectSyncApi(SyncApi):
    @extend_schema_serializer(component_name="ProjectDto")
    class InputSerializer(serializers.Serializer):
        @extend_schema_serializer(component_name="TaskDto")
        class TaskSerializer(serializers.Serializer):
            taskId = serializers.CharField(max_length=30)
            internalId = dto.ErpIdField()
            description = dto.text(200)
            status = dto.text(30, help_text="`Active` is active; any other is not.")
            active = dto.flag()

        projectID = serializers.CharField(max_length=30, required=False)
        projectId = serializers.CharField(
            max_length=30,
            required=False,
            help_text="Write-shape spelling of projectID.",
        )
        internalID = dto.ErpIdField()
        description = dto.text(200)
        status = dto.text(30, help_text="`Active` (and not `hold`) is active.")
        hold = dto.flag()
        active = dto.flag()
        projectManager = ProjectManagerSerializer(required=False, allow_null=True)
        # A null list yes, a null item no (see segmentValues above).
        tasks = serializers.ListSerializer(
            child=TaskSerializer(), required=False, allow_null=True
        )

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            code = attrs.get("projectID") or attrs.pop("projectId", None)
            if not code:
                raise serializers.ValidationError(
                    {"projectID": "This field is required."}, code="required"
                )
            return {**attrs, "projectID": code}

    to_rows = staticmethod(dto.project_rows)
    upsert = staticmethod(projects_upsert_from_erp)


# --- branches --------------------------------------------------------------------------


@sync_schema(
    summary="Sync branches",
    description="Each `BranchDto` is keyed by its branch `number`.",
    read=examples.BRANCHES_READ,
    write=examples.BRANCHES_WRITE,
    counts={"created": 1, "updated": 0, "unchanged": 0, "deactivated": 0},
)
class BranchSyncApi(SyncApi):
    @extend_schema_serializer(component_name="BranchDto")
    class InputSerializer(serializers.Serializer):
        number = serializers.CharField(max_length=30)
        branchId = dto.ErpIdField()
        name = dto.text(200)
        isActive = dto.flag()
        active = dto.flag(help_text="Alias of isActive.")

    to_rows = staticmethod(dto.branch_rows)
    upsert = staticmethod(branches_upsert_from_erp)


# --- employees -------------------------------------------------------------------------


@sync_schema(
    summary="Sync employees",
    description=(
        "Each `EmployeeDto` is keyed by `employeeNumber`. `department` (a code) and "
        "`branch` (`{number}`) are linked, created minimal if unknown. An employee "
        "with `employeeLogin` or `contact.email` is linked to the login of that name "
        "(lower-cased), created inactive until invited; an existing login is linked "
        "untouched. Sync never grants roles."
    ),
    read=examples.EMPLOYEES_READ,
    write=examples.EMPLOYEES_WRITE,
    counts={"created": 1, "updated": 0, "unchanged": 0, "deactivated": 0},
)
class EmployeeSyncApi(SyncApi):
    @extend_schema_serializer(component_name="EmployeeDto")
    class InputSerializer(serializers.Serializer):
        employeeNumber = serializers.CharField(max_length=30)
        employeeId = dto.ErpIdField()
        employeeName = dto.text(200)
        employeeUserId = serializers.UUIDField(required=False, allow_null=True)
        employeeLogin = dto.text(150)
        status = dto.text(30, help_text="`Active` is active; any other is not.")
        active = dto.flag()
        department = dto.CodeRefField()
        branch = dto.CodeRefField()
        contact = ContactSerializer(required=False, allow_null=True)

    to_rows = staticmethod(dto.employee_rows)
    upsert = staticmethod(employees_upsert_from_erp)


# --- OAuth2 token ----------------------------------------------------------------------

_FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
_FORM_MEDIA_TYPES = (_FORM_MEDIA_TYPE, "multipart/form-data")
_OAUTH_ERROR_DETAIL = {
    "invalid_client": (
        "Client authentication failed: unknown client, wrong secret or revoked."
    ),
    "invalid_request": "The token request is malformed or misses a parameter.",
    "unsupported_grant_type": "Only grant_type=client_credentials is supported.",
    "invalid_grant": "The grant is invalid.",
    "invalid_scope": "The requested scope is invalid.",
    "unauthorized_client": "This client may not use this grant type.",
}


@method_decorator(sensitive_post_parameters("client_secret"), name="dispatch")
class AccessTokenIssueApi(APIView):
    """OAuth2 client credentials (RFC 6749 §4.4), as Visma Connect does."""

    authentication_classes: ClassVar[list[type]] = []
    permission_classes = [AllowAny]
    parser_classes = [FormParser]
    renderer_classes = [JSONRenderer]

    @extend_schema_serializer(component_name="TokenRequest")
    class InputSerializer(serializers.Serializer):
        grant_type = serializers.ChoiceField(choices=["client_credentials"])
        client_id = serializers.CharField(
            required=False, help_text="Or send id and secret with HTTP Basic auth."
        )
        client_secret = serializers.CharField(required=False)

    @extend_schema_serializer(component_name="TokenResponse")
    class OutputSerializer(serializers.Serializer):
        access_token = serializers.CharField()
        token_type = serializers.CharField()
        expires_in = serializers.IntegerField(help_text="Seconds until it expires.")
        scope = serializers.CharField()

    @extend_schema(
        tags=["Authentication"],
        summary="Get an access token (client credentials)",
        description=(
            "Form-encoded `grant_type=client_credentials` with `client_id` and "
            "`client_secret` in the body or as HTTP Basic auth. The token is sent as "
            "`Authorization: Bearer <token>` on every other call and expires after "
            "`expires_in` seconds. Errors are problems that also carry RFC 6749's "
            "`error` and `error_description`."
        ),
        auth=[],
        request={_FORM_MEDIA_TYPE: InputSerializer},
        responses={
            200: OpenApiResponse(OutputSerializer, description="A bearer token."),
            (400, PROBLEM_MEDIA_TYPE): problem_response_schema(
                400,
                description="A missing parameter or another grant type.",
                example=("Other grant type", examples.TOKEN_GRANT_ERROR),
            ),
            (401, PROBLEM_MEDIA_TYPE): problem_response_schema(
                401,
                description="Unknown client, wrong secret, or revoked client.",
                example=("Wrong secret", examples.TOKEN_ERROR),
            ),
            **problem_responses(413, 415),
        },
        examples=[
            OpenApiExample(
                "Token request",
                value=examples.TOKEN_REQUEST,
                request_only=True,
                media_type=_FORM_MEDIA_TYPE,
            ),
            OpenApiExample(
                "Token",
                value=examples.TOKEN_RESPONSE,
                response_only=True,
                status_codes=["200"],
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        # RFC 6749 uses urlencoded forms; multipart forms carry the same fields.
        if not request.content_type.startswith(_FORM_MEDIA_TYPES):
            raise UnsupportedMediaType(request.content_type or "(none)")
        status, headers, body = token_response(request._request)
        if status == 200:
            return Response(body, headers=dict(headers))
        code = str(body.get("error") or "invalid_request")
        description = body.get("error_description")
        return problem_response(
            status=status,
            code=code,
            detail=str(
                description
                or _OAUTH_ERROR_DETAIL.get(code, "The token request failed.")
            ),
            headers={
                k: v for k, v in headers.items() if k.lower() == "www-authenticate"
            },
            extra={
                "error": code,
                **({"error_description": description} if description else {}),
            },
        )


# --- anything else under /api/v1/ ------------------------------------------------------


@extend_schema(exclude=True)
class ApiRouteNotFoundApi(APIView):
    """Unknown API paths answer a problem too, not the HTML 404 page."""

    authentication_classes: ClassVar[list[type]] = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        raise NotFound()
