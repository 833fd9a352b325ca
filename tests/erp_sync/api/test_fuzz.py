"""Whatever JSON arrives, a sync endpoint answers 200 or a 4xx problem, never a 5xx."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.erp_sync.conftest import ErpApi

pytestmark = pytest.mark.django_db

PATHS = [
    "sync/subaccount-segments",
    "sync/subaccounts",
    "sync/departments",
    "sync/projects",
    "sync/branches",
    "sync/employees",
]
FIELDS = [
    "segmentId",
    "segmentValues",
    "valueId",
    "description",
    "active",
    "publicId",
    "subaccountNumber",
    "subaccountId",
    "segments",
    "segmentValue",
    "departmentId",
    "projectID",
    "projectId",
    "status",
    "hold",
    "projectManager",
    "tasks",
    "taskId",
    "employeeNumber",
    "employeeName",
    "employeeLogin",
    "employeeUserId",
    "employeeId",
    "department",
    "branch",
    "contact",
    "email",
    "number",
    "name",
    "isActive",
    "value",
]
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | st.sampled_from(["Active", "SALES", "E0001", "a@example.com", "20", ""])
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(FIELDS) | st.text(max_size=8), inner, max_size=6
        )
    ),
    max_leaves=25,
)
bodies = (
    st.lists(st.dictionaries(st.sampled_from(FIELDS), values, max_size=8), max_size=5)
    | values
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(path=st.sampled_from(PATHS), body=bodies)
def test_sync_endpoints_never_fail_with_5xx(api: ErpApi, path: str, body: Any) -> None:
    response = api.put_raw(path, json.dumps(body), "application/json")

    assert response.status_code in (200, 400), (
        response.status_code,
        response.content[:300],
    )
    if response.status_code == 400:
        assert response["Content-Type"] == "application/problem+json"
