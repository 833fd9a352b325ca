"""One error shape, and never a 500 for bad input (RELIABILITY 25, 27, 29, 30)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError
from django.http import Http404
from rest_framework.exceptions import Throttled
from rest_framework.exceptions import ValidationError as DrfValidationError

from core.exceptions import ApplicationError, InvalidTransition, StaleVersion
from erp_sync.api import views
from erp_sync.api.errors import (
    error_entries,
    problem_exception_handler,
    problem_response,
)
from erp_sync.api.parsers import MAX_DEPTH
from orgunits.models import Department
from tests.erp_sync.conftest import ErpApi, assert_problem

pytestmark = pytest.mark.django_db
PATH = "sync/departments"


def test_invalid_json_is_400(api: ErpApi) -> None:
    body = assert_problem(
        api.put_raw(PATH, b'[{"departmentId": ', "application/json"), 400, "parse_error"
    )

    assert "JSON parse error" in body["detail"]


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/xml", "application/x-www-form-urlencoded"],
)
def test_a_body_that_is_not_json_is_415(api: ErpApi, content_type: str) -> None:
    assert_problem(
        api.put_raw(PATH, b"departmentId=A", content_type),
        415,
        "unsupported_media_type",
    )


def test_a_body_without_content_type_is_415(api: ErpApi) -> None:
    response = api.http.generic("PUT", f"/api/v1/{PATH}", b"[]", content_type="")

    assert_problem(response, 415, "unsupported_media_type")


def test_a_10_mb_body_is_413_before_it_is_read(api: ErpApi) -> None:
    rows = [{"departmentId": f"D{i}", "description": "x" * 190} for i in range(50_000)]
    raw = json.dumps(rows).encode()
    assert len(raw) > 10 * 1024 * 1024

    assert_problem(api.put_raw(PATH, raw, "application/json"), 413, "request_too_large")
    assert not Department.objects.exists()


def test_a_body_longer_than_its_content_length_claims_is_cut_at_the_limit(
    api: ErpApi, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    raw = json.dumps([{"departmentId": "A", "description": "x" * 200}]).encode()

    response = api.http.generic(
        "PUT",
        f"/api/v1/{PATH}",
        raw,
        content_type="application/json",
        CONTENT_LENGTH="50",
    )

    assert response.status_code == 400
    assert not Department.objects.exists()


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 100_000])
def test_deeply_nested_json_is_400(api: ErpApi, depth: int) -> None:
    raw = "[" * depth + "]" * depth

    body = assert_problem(
        api.put_raw(PATH, raw, "application/json"), 400, "parse_error"
    )

    assert "nested deeper" in body["detail"]


def test_an_object_with_thousands_of_fields_is_400(api: ErpApi) -> None:
    row = {f"field{i}": i for i in range(5000)} | {"departmentId": "A"}

    body = assert_problem(api.put(PATH, [row]), 400, "parse_error")

    assert "more than 1000 members" in body["detail"]


def test_a_repeated_key_is_400(api: ErpApi) -> None:
    raw = '[{"departmentId": "A", "departmentId": "B"}]'

    assert_problem(api.put_raw(PATH, raw, "application/json"), 400, "parse_error")


def test_many_unknown_fields_below_the_limit_are_ignored(api: ErpApi) -> None:
    row = {f"field{i}": {"nested": [i]} for i in range(900)} | {"departmentId": "A"}

    assert api.put(PATH, [row]).json()["created"] == 1


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("A\u0000B", "null_characters_not_allowed"),
        ("A\ud800B", "surrogate_characters_not_allowed"),
    ],
)
def test_nul_and_lone_surrogates_are_field_errors(
    api: ErpApi, value: str, code: str
) -> None:
    raw = json.dumps(
        [{"departmentId": "OK"}, {"departmentId": "B", "description": value}]
    )

    problem = assert_problem(api.put_raw(PATH, raw, "application/json"), 400, "invalid")

    assert [(e["path"], e["code"]) for e in problem["errors"]] == [
        ("[1].description", code)
    ]
    assert not Department.objects.exists()


def test_a_lone_surrogate_in_a_key_field_is_a_field_error(api: ErpApi) -> None:
    raw = '[{"departmentId": "\\ud800"}]'

    problem = assert_problem(api.put_raw(PATH, raw, "application/json"), 400, "invalid")

    assert problem["errors"][0]["path"] == "[0].departmentId"


def test_invalid_utf8_is_400(api: ErpApi) -> None:
    assert_problem(
        api.put_raw(PATH, b'[{"departmentId": "\xff\xfe"}]', "application/json"),
        400,
        "parse_error",
    )


@pytest.mark.parametrize(
    ("raw", "status", "path"),
    [
        ('[{"segmentId": ' + "9" * 5000 + "}]", 400, None),
        ('[{"segmentId": 1e400}]', 400, "[0].segmentId"),
        ('[{"segmentId": 99999999999999999999}]', 400, "[0].segmentId"),
        ('[{"segmentId": NaN}]', 400, None),
        ('[{"segmentId": Infinity}]', 400, None),
        ('[{"segmentId": -Infinity}]', 400, None),
        ('[{"segmentId": 1.5}]', 400, "[0].segmentId"),
        ('[{"segmentId": "one"}]', 400, "[0].segmentId"),
        ('[{"segmentId": true}]', 400, "[0].segmentId"),
    ],
)
def test_huge_and_odd_numbers_are_400(
    api: ErpApi, raw: str, status: int, path: str | None
) -> None:
    response = api.put_raw("sync/subaccount-segments", raw, "application/json")

    assert response.status_code == status
    body = response.json()
    if path is None:
        assert body["code"] == "parse_error"
    else:
        assert [e["path"] for e in body["errors"]] == [path]


def test_an_erp_id_that_is_huge_is_a_field_error(api: ErpApi) -> None:
    raw = '[{"departmentId": "A", "publicId": ' + "1" * 100 + "}]"

    problem = assert_problem(api.put_raw(PATH, raw, "application/json"), 400, "invalid")

    assert problem["errors"][0]["path"] == "[0].publicId"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"departmentId": "A"}, 'Expected a list of items but got type "dict".'),
        ("A", 'Expected a list of items but got type "str".'),
        (None, "No data provided"),
        ([["A"]], "Invalid data. Expected a dictionary, but got list."),
    ],
)
def test_a_body_of_the_wrong_shape_is_400(api: ErpApi, body: Any, message: str) -> None:
    problem = assert_problem(api.put(PATH, body), 400, "invalid")

    assert problem["errors"][0]["message"] == message


def test_too_many_rows_are_400(api: ErpApi) -> None:
    rows = [{"departmentId": "A"}] * (views.MAX_SYNC_ROWS + 1)

    problem = assert_problem(api.put(PATH, rows), 400, "invalid")

    assert problem["errors"][0]["path"] == ""
    assert problem["errors"][0]["code"] == "max_length"


def test_an_unavailable_database_is_503_without_internals(
    api: ErpApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(**kwargs: Any) -> None:
        raise OperationalError("connection to server at 10.0.0.5 failed: secret detail")

    monkeypatch.setattr(views.DepartmentSyncApi, "upsert", staticmethod(fail))

    response = api.put(PATH, [{"departmentId": "A"}])

    body = assert_problem(response, 503, "service_unavailable")
    assert response["Retry-After"] == "5"
    assert "10.0.0.5" not in response.content.decode()
    assert "Traceback" not in body["detail"]


def test_a_bug_is_a_500_problem_without_internals(
    api: ErpApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(**kwargs: Any) -> None:
        raise KeyError("internal_column_name")

    monkeypatch.setattr(views.DepartmentSyncApi, "upsert", staticmethod(fail))
    # The handler reports the bug through Django's signal, which the test client
    # would otherwise re-raise here.
    api.http.raise_request_exception = False

    response = api.put(PATH, [{"departmentId": "A"}])

    assert_problem(response, 500, "internal_error")
    assert "internal_column_name" not in response.content.decode()


# --- the handler's mapping, directly ---------------------------------------------------


def handle(exc: Exception) -> Any:
    response = problem_exception_handler(exc, {})
    assert response is not None
    assert response.content_type == "application/problem+json"
    return response


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (ApplicationError("No.", extra={"code": "nope"}), 400, "nope"),
        (ApplicationError("No."), 400, "application_error"),
        (
            InvalidTransition(
                "Already approved.", extra={"code": "invalid_transition"}
            ),
            409,
            "invalid_transition",
        ),
        (StaleVersion("Changed meanwhile.", extra={"code": "stale"}), 409, "stale"),
        (ApplicationError("Gone.", extra={"code": "gone", "status": 410}), 410, "gone"),
        (ApplicationError("Odd.", extra={"code": "odd", "status": 200}), 400, "odd"),
        (Http404("No Document matches the given query."), 404, "not_found"),
        (PermissionDenied("internal reason"), 403, "permission_denied"),
        (Throttled(wait=7), 429, "throttled"),
    ],
)
def test_exceptions_map_to_status_and_code(
    exc: Exception, status: int, code: str
) -> None:
    response = handle(exc)

    assert response.status_code == status
    assert response.data["code"] == code
    assert response.data["type"] == f"urn:signoff:problem:{code}"


def test_a_404_never_echoes_what_was_looked_up() -> None:
    assert (
        handle(Http404("No Document matches the given query.")).data["detail"]
        == "Not found."
    )


def test_application_error_extras_become_members_when_json_safe() -> None:
    exc = ApplicationError(
        "Already open.",
        extra={
            "code": "duplicate",
            "status": 409,
            "existingId": "abc",
            "obj": object(),
        },
    )

    data = handle(exc).data

    assert data["existingId"] == "abc"
    assert "obj" not in data
    assert data["status"] == 409
    assert data["detail"] == "Already open."


def test_a_throttle_says_when_to_retry() -> None:
    assert handle(Throttled(wait=7))["Retry-After"] == "7"


def test_django_validation_errors_keep_their_paths() -> None:
    exc = DjangoValidationError(
        {
            "[3].email": [DjangoValidationError("Bad.", code="bad")],
            "__all__": ["Whole."],
        }
    )

    data = handle(exc).data

    assert data["errors"] == [
        {"path": "[3].email", "message": "Bad.", "code": "bad"},
        {"path": "", "message": "Whole.", "code": "invalid"},
    ]


def test_nested_drf_errors_flatten_to_json_paths() -> None:
    detail = DrfValidationError(
        [
            {},
            {
                "invoiceLines": [{}, {"amount": ["Too big."]}],
                "non_field_errors": ["Row."],
            },
            {"tags": {2: ["Bad tag."]}},
        ]
    ).detail

    assert [(e["path"], e["message"]) for e in error_entries(detail)] == [
        ("[1].invoiceLines[1].amount", "Too big."),
        ("[1]", "Row."),
        ("[2].tags[2]", "Bad tag."),
    ]


def test_echoed_surrogates_never_break_rendering() -> None:
    response = problem_response(
        status=400,
        code="invalid",
        detail="bad \ud800 value",
        errors=[{"path": "[0].x", "message": "\udfff", "code": "invalid"}],
    )
    response.accepted_renderer = __import__(
        "rest_framework.renderers"
    ).renderers.JSONRenderer()
    response.accepted_media_type = "application/json"
    response.renderer_context = {}

    assert json.loads(response.render().content)["detail"] == "bad ? value"
