"""OpenAPI examples of the ERP API (ERP_PAYLOADS.md §11d): read and write shapes.

The tests post these same payloads, so the documented examples are known to work.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample

SEGMENTS_READ: list[dict[str, Any]] = [
    {
        "segmentId": 1,
        "description": "Department",
        "length": 2,
        "validate": True,
        "isAutoNumber": False,
        "publicId": "6f1c2a9e-0b1d-4c55-9a57-3f0f6f1e2a01",
        "lastModified": "2025-01-15T10:00:00Z",
        "segmentValues": [
            {
                "valueId": "20",
                "description": "Sales",
                "active": True,
                "publicId": "6f1c2a9e-0b1d-4c55-9a57-3f0f6f1e2a11",
                "segmentId": 1,
                "lastModified": "2025-01-15T10:00:00Z",
            },
            {"valueId": "30", "description": "R&D", "active": True, "segmentId": 1},
        ],
    },
    {
        "segmentId": 2,
        "description": "Cost centre",
        "length": 3,
        "segmentValues": [
            {"valueId": "100", "description": "Oslo", "active": True, "segmentId": 2}
        ],
    },
]
SEGMENTS_WRITE: list[dict[str, Any]] = [
    {
        "segmentId": {"value": 1},
        "description": {"value": "Department"},
        "segmentValues": [
            {"valueId": {"value": "20"}, "description": {"value": "Sales"}},
            {"valueId": {"value": "30"}, "description": {"value": "R&D"}},
        ],
    },
    {
        "segmentId": {"value": 2},
        "description": {"value": "Cost centre"},
        "segmentValues": [
            {"valueId": {"value": "100"}, "description": {"value": "Oslo"}}
        ],
    },
]

SUBACCOUNTS_READ: list[dict[str, Any]] = [
    {
        "subaccountNumber": "20-100",
        "subaccountId": 17,
        "description": "Sales / Oslo",
        "active": True,
        "segments": [
            {
                "segmentId": 1,
                "segmentDescription": "Department",
                "segmentValue": "20",
                "segmentValueDescription": "Sales",
            },
            {
                "segmentId": 2,
                "segmentDescription": "Cost centre",
                "segmentValue": "100",
                "segmentValueDescription": "Oslo",
            },
        ],
        "lastModifiedDateTime": "2025-01-15T10:00:00Z",
    }
]
SUBACCOUNTS_WRITE: list[dict[str, Any]] = [
    {
        "description": {"value": "Sales / Oslo"},
        "active": {"value": True},
        "segments": [
            {"segmentId": 1, "segmentValue": "20"},
            {"segmentId": 2, "segmentValue": "100"},
        ],
    }
]

DEPARTMENTS_READ: list[dict[str, Any]] = [
    {
        "departmentId": "SALES",
        "publicId": "3d7f1b7c-7c1e-4e35-9d0b-1a2b3c4d5e6f",
        "description": "Sales",
        "expenseAccount": {
            "number": "7700",
            "description": "Other operating costs",
            "type": "Expense",
        },
        "expenseSubaccount": {
            "id": "20-000",
            "description": "Sales / none",
            "active": True,
        },
        "lastModifiedDateTime": "2025-01-15T10:00:00Z",
    }
]
DEPARTMENTS_WRITE: list[dict[str, Any]] = [
    {
        "departmentId": {"value": "SALES"},
        "description": {"value": "Sales"},
        "expenseAccount": {"value": "7700"},
    }
]

PROJECTS_READ: list[dict[str, Any]] = [
    {
        "internalID": 311,
        "projectID": "P1001",
        "publicId": "b3a6c2f0-5d3e-4c1a-8b7e-0f1e2d3c4b5a",
        "description": "Office move",
        "status": "Active",
        "hold": False,
        "projectManager": {
            "employeeId": 1007,
            "employeeNumber": "E0007",
            "employeeName": "Ola Hansen",
            "employeeUserId": "7e5d9c2a-1b3c-4d5e-8f90-a1b2c3d4e5f6",
            "status": "Active",
            "department": "ADMIN",
            "contact": {"email": "ola.hansen@example.com"},
        },
        "customer": None,
        "branch": {"number": "1", "name": "Demo Company AS"},
        "startDate": "2025-01-01T00:00:00",
        "endDate": "2025-06-30T00:00:00",
        "defSub": {"id": "20-100", "description": "Sales / Oslo", "active": True},
        "visibility": {
            "visibleInAp": True,
            "visibleInEa": True,
            "visibleInTa": True,
            "visibleInGl": True,
        },
        "tasks": [
            {"taskId": "01", "description": "Furniture & supplies", "status": "Active"},
            {"taskId": "02", "description": "Planning", "status": "Active"},
        ],
        "lastModifiedDateTime": "2025-02-01T09:00:00Z",
    }
]
PROJECTS_WRITE: list[dict[str, Any]] = [
    {
        "projectId": {"value": "P1001"},
        "description": {"value": "Office move"},
        "status": {"value": "Active"},
        "hold": {"value": False},
        "projectManager": {
            "employeeNumber": {"value": "E0007"},
            "employeeName": {"value": "Ola Hansen"},
        },
        "tasks": [
            {
                "taskId": {"value": "01"},
                "description": {"value": "Furniture & supplies"},
                "status": {"value": "Active"},
            },
            {
                "taskId": {"value": "02"},
                "description": {"value": "Planning"},
                "status": {"value": "Active"},
            },
        ],
    }
]

BRANCHES_READ: list[dict[str, Any]] = [
    {
        "branchId": 1,
        "number": "1",
        "name": "Demo Company AS",
        "organizationId": 1,
        "isMainBranch": True,
        "isActive": True,
        "corporateId": "999999999",
        "vatRegistrationId": "NO999999999MVA",
        "currency": {"id": "NOK", "description": "Norwegian krone", "symbol": "kr"},
        "defaultCountry": {"id": "NO", "name": "Norway"},
        "lastModifiedDateTime": "2024-12-01T00:00:00Z",
    }
]
BRANCHES_WRITE: list[dict[str, Any]] = [
    {
        "number": {"value": "1"},
        "name": {"value": "Demo Company AS"},
        "isActive": {"value": True},
    }
]

EMPLOYEES_READ: list[dict[str, Any]] = [
    {
        "employeeId": 1042,
        "employeeNumber": "E0042",
        "employeeName": "Kari Nordmann",
        "employeeUserId": "c0a80101-0000-4000-8000-000000000042",
        "employeeLogin": "kari.nordmann@example.com",
        "status": "Active",
        "department": "SALES",
        "branch": {"number": "1", "name": "Demo Company AS"},
        "employeeClass": {"id": "EMP", "description": "Employees"},
        "contact": {
            "firstName": "Kari",
            "lastName": "Nordmann",
            "email": "kari.nordmann@example.com",
        },
        "workGroupDescription": ["Sales team"],
        "lastModifiedDateTime": "2025-01-20T12:00:00Z",
    }
]
EMPLOYEES_WRITE: list[dict[str, Any]] = [
    {
        "employeeNumber": {"value": "E0042"},
        "employeeName": {"value": "Kari Nordmann"},
        "employeeLogin": {"value": "kari.nordmann@example.com"},
        "status": {"value": "Active"},
        "department": {"value": "SALES"},
        "branch": {"value": "1"},
        "contact": {
            "firstName": {"value": "Kari"},
            "lastName": {"value": "Nordmann"},
            "email": {"value": "kari.nordmann@example.com"},
        },
    }
]


def sync_examples(
    read: list[dict[str, Any]], write: list[dict[str, Any]], counts: dict[str, int]
) -> list[OpenApiExample]:
    """Request examples give one DTO: drf-spectacular shows it inside the array."""
    resent = {
        "created": 0,
        "updated": 0,
        "unchanged": sum(counts.values()),
        "deactivated": 0,
    }
    return [
        OpenApiExample(
            "Read shape",
            value=read[0],
            request_only=True,
            description="As Visma.net's GET returns it, forwarded unchanged.",
        ),
        OpenApiExample(
            "Write shape",
            value=write[0],
            request_only=True,
            description='Visma.net\'s update DTO: scalars wrapped as `{"value": x}`.',
        ),
        OpenApiExample(
            "Counts", value=counts, response_only=True, status_codes=["200"]
        ),
        OpenApiExample(
            "Re-sent unchanged", value=resent, response_only=True, status_codes=["200"]
        ),
    ]


TOKEN_REQUEST = {
    "grant_type": "client_credentials",
    "client_id": "pQ3k9cR0yXwz8mJ2vL6tB1nD4fH7gK5sA0eU3iO9",
    "client_secret": "(the secret printed by create_erp_client)",
}
TOKEN_RESPONSE = {
    "access_token": "Yw9rT2mQ8xK1pL4vN7cB3dF6hJ0sA5gE",
    "token_type": "Bearer",
    "expires_in": 3600,
    "scope": "read write",
}
TOKEN_GRANT_ERROR = {
    "type": "urn:signoff:problem:unsupported_grant_type",
    "title": "Bad Request",
    "status": 400,
    "detail": "Only grant_type=client_credentials is supported.",
    "code": "unsupported_grant_type",
    "error": "unsupported_grant_type",
}
TOKEN_ERROR = {
    "type": "urn:signoff:problem:invalid_client",
    "title": "Unauthorized",
    "status": 401,
    "detail": "Client authentication failed: unknown client, wrong secret or revoked.",
    "code": "invalid_client",
    "error": "invalid_client",
}

#: One documented example problem per status (name, body).
PROBLEM_EXAMPLES: dict[int, tuple[str, dict[str, object]]] = {
    400: (
        "One bad row",
        {
            "type": "urn:signoff:problem:invalid",
            "title": "Invalid request",
            "status": 400,
            "detail": "The request has 1 invalid value; see `errors`.",
            "code": "invalid",
            "errors": [
                {
                    "path": "[3].departmentId",
                    "message": "This field is required.",
                    "code": "required",
                }
            ],
        },
    ),
    401: (
        "Missing, expired or revoked token",
        {
            "type": "urn:signoff:problem:invalid_token",
            "title": "Unauthorized",
            "status": 401,
            "detail": "The access token is invalid, expired or revoked.",
            "code": "invalid_token",
        },
    ),
    404: (
        "Unknown (or another company's) object",
        {
            "type": "urn:signoff:problem:not_found",
            "title": "Not Found",
            "status": 404,
            "detail": "Not found.",
            "code": "not_found",
        },
    ),
    409: (
        "Conflicts with the current state",
        {
            "type": "urn:signoff:problem:invalid_transition",
            "title": "Conflict",
            "status": 409,
            "detail": "The document is already approved.",
            "code": "invalid_transition",
        },
    ),
    413: (
        "Body over the limit",
        {
            "type": "urn:signoff:problem:request_too_large",
            "title": "Request Entity Too Large",
            "status": 413,
            "detail": "The request body is larger than the API accepts.",
            "code": "request_too_large",
        },
    ),
    415: (
        "Not JSON",
        {
            "type": "urn:signoff:problem:unsupported_media_type",
            "title": "Unsupported Media Type",
            "status": 415,
            "detail": 'Unsupported media type "text/plain" in request.',
            "code": "unsupported_media_type",
        },
    ),
    503: (
        "Database unavailable",
        {
            "type": "urn:signoff:problem:service_unavailable",
            "title": "Service Unavailable",
            "status": 503,
            "detail": "The service is temporarily unavailable; retry shortly.",
            "code": "service_unavailable",
        },
    ),
}
