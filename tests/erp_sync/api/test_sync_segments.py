"""PUT /api/v1/sync/subaccount-segments and /sync/subaccounts."""

from __future__ import annotations

import copy

import pytest

from erp_sync.api import examples
from orgunits.models import Company, CostUnit, CostUnitType, Subaccount
from tests.erp_sync.conftest import ErpApi, assert_problem

pytestmark = pytest.mark.django_db

SEGMENTS = "sync/subaccount-segments"
SUBACCOUNTS = "sync/subaccounts"


def counts(
    created: int = 0, updated: int = 0, unchanged: int = 0, deactivated: int = 0
) -> dict[str, int]:
    return {
        "created": created,
        "updated": updated,
        "unchanged": unchanged,
        "deactivated": deactivated,
    }


# --- segments --------------------------------------------------------------------------


def test_segments_read_shape_creates_types_and_units(
    api: ErpApi, company: Company
) -> None:
    response = api.put(SEGMENTS, examples.SEGMENTS_READ)

    assert response.status_code == 200
    assert response.json() == counts(created=5)
    department = CostUnitType.objects.get(company=company, segment_id=1)
    assert department.name == "Department"
    assert department.erp_synced
    assert department.erp_internal_id == "6f1c2a9e-0b1d-4c55-9a57-3f0f6f1e2a01"
    assert department.routing_position is None
    sales = CostUnit.objects.get(type=department, code="20")
    assert (sales.name, sales.active, sales.erp_synced, sales.company) == (
        "Sales",
        True,
        True,
        company,
    )
    assert sorted(CostUnit.objects.values_list("code", flat=True)) == [
        "100",
        "20",
        "30",
    ]


def test_segments_resent_in_either_shape_change_nothing(api: ErpApi) -> None:
    api.put(SEGMENTS, examples.SEGMENTS_READ)
    before = list(CostUnit.objects.values_list("updated_at", flat=True).order_by("pk"))

    assert api.put(SEGMENTS, examples.SEGMENTS_READ).json() == counts(unchanged=5)
    assert api.put(SEGMENTS, examples.SEGMENTS_WRITE).json() == counts(unchanged=5)
    assert (
        list(CostUnit.objects.values_list("updated_at", flat=True).order_by("pk"))
        == before
    )


def test_segments_write_shape_alone_creates_them(api: ErpApi, company: Company) -> None:
    assert api.put(SEGMENTS, examples.SEGMENTS_WRITE).json() == counts(created=5)
    assert CostUnitType.objects.get(company=company, segment_id=2).name == "Cost centre"


def test_a_value_can_be_deactivated_and_reactivated(
    api: ErpApi, company: Company
) -> None:
    api.put(SEGMENTS, examples.SEGMENTS_READ)
    body = [{"segmentId": 1, "segmentValues": [{"valueId": "20", "active": False}]}]

    assert api.put(SEGMENTS, body).json() == counts(unchanged=1, deactivated=1)
    sales = CostUnit.objects.get(company=company, code="20")
    assert not sales.active
    assert sales.name == "Sales"
    assert CostUnit.objects.get(company=company, code="30").active

    body[0]["segmentValues"][0]["active"] = True
    assert api.put(SEGMENTS, body).json() == counts(updated=1, unchanged=1)


def test_routing_position_is_signoffs_own_setting(
    api: ErpApi, company: Company
) -> None:
    api.put(SEGMENTS, examples.SEGMENTS_READ)
    CostUnitType.objects.filter(company=company, segment_id=1).update(
        routing_position=1
    )
    renamed = copy.deepcopy(examples.SEGMENTS_READ)
    renamed[0]["description"] = "Avdeling"

    assert api.put(SEGMENTS, renamed).json() == counts(updated=1, unchanged=4)
    segment = CostUnitType.objects.get(company=company, segment_id=1)
    assert (segment.name, segment.routing_position) == ("Avdeling", 1)


def test_a_bad_segment_row_writes_nothing(api: ErpApi) -> None:
    body = copy.deepcopy(examples.SEGMENTS_READ)
    body[1]["segmentValues"][0]["valueId"] = "X" * 31

    problem = assert_problem(api.put(SEGMENTS, body), 400, "invalid")

    assert problem["errors"] == [
        {
            "path": "[1].segmentValues[0].valueId",
            "message": "Ensure this field has no more than 30 characters.",
            "code": "max_length",
        }
    ]
    assert not CostUnitType.objects.exists()
    assert not CostUnit.objects.exists()


def test_duplicate_segment_ids_and_value_ids_are_refused(api: ErpApi) -> None:
    body = [
        {"segmentId": 1, "segmentValues": [{"valueId": "A"}, {"valueId": "A"}]},
        {"segmentId": 1},
    ]

    problem = assert_problem(api.put(SEGMENTS, body), 400, "invalid")

    assert {(e["path"], e["code"]) for e in problem["errors"]} == {
        ("[1].segmentId", "duplicate"),
        ("[0].segmentValues[1].valueId", "duplicate"),
    }
    assert not CostUnitType.objects.exists()


# --- subaccounts -----------------------------------------------------------------------


def test_subaccount_read_shape_creates_it_with_its_segment_values(
    api: ErpApi, company: Company
) -> None:
    response = api.put(SUBACCOUNTS, examples.SUBACCOUNTS_READ)

    assert response.json() == counts(created=1)
    sub = Subaccount.objects.get(company=company)
    assert (sub.number, sub.description, sub.active, sub.erp_internal_id) == (
        "20-100",
        "Sales / Oslo",
        True,
        "17",
    )
    assert sub.segment_values == {"1": "20", "2": "100"}
    assert sub.erp_synced
    types = {t.segment_id: t.name for t in CostUnitType.objects.filter(company=company)}
    assert types == {1: "Department", 2: "Cost centre"}
    units = {
        (u.type.segment_id, u.code): u.name
        for u in CostUnit.objects.select_related("type")
    }
    assert units == {(1, "20"): "Sales", (2, "100"): "Oslo"}


def test_subaccounts_resent_in_either_shape_change_nothing(api: ErpApi) -> None:
    api.put(SUBACCOUNTS, examples.SUBACCOUNTS_READ)

    assert api.put(SUBACCOUNTS, examples.SUBACCOUNTS_READ).json() == counts(unchanged=1)
    assert api.put(SUBACCOUNTS, examples.SUBACCOUNTS_WRITE).json() == counts(
        unchanged=1
    )
    assert CostUnit.objects.count() == 2


def test_write_shape_without_a_number_derives_it_from_the_segments(
    api: ErpApi, company: Company
) -> None:
    assert api.put(SUBACCOUNTS, examples.SUBACCOUNTS_WRITE).json() == counts(created=1)

    sub = Subaccount.objects.get(company=company)
    assert sub.number == "20-100"
    assert CostUnitType.objects.get(company=company, segment_id=1).name == "Segment 1"


def test_subaccounts_do_not_rename_known_segments_or_values(
    api: ErpApi, company: Company
) -> None:
    api.put(
        SEGMENTS,
        [
            {
                "segmentId": 1,
                "description": "Avdeling",
                "segmentValues": [{"valueId": "20", "description": "Salg"}],
            }
        ],
    )

    api.put(SUBACCOUNTS, examples.SUBACCOUNTS_READ)

    assert CostUnitType.objects.get(company=company, segment_id=1).name == "Avdeling"
    assert CostUnit.objects.get(company=company, code="20").name == "Salg"


def test_a_subaccount_is_deactivated_and_keeps_its_values(
    api: ErpApi, company: Company
) -> None:
    api.put(SUBACCOUNTS, examples.SUBACCOUNTS_READ)

    response = api.put(SUBACCOUNTS, [{"subaccountNumber": "20-100", "active": False}])

    assert response.json() == counts(deactivated=1)
    sub = Subaccount.objects.get(company=company)
    assert not sub.active
    assert sub.segment_values == {"1": "20", "2": "100"}


def test_a_subaccount_without_number_or_segments_is_refused(api: ErpApi) -> None:
    body = [*examples.SUBACCOUNTS_READ, {"description": "nothing"}]

    problem = assert_problem(api.put(SUBACCOUNTS, body), 400, "invalid")

    assert [e["path"] for e in problem["errors"]] == ["[1].subaccountNumber"]
    assert not Subaccount.objects.exists()
    assert not CostUnit.objects.exists()


def test_repeated_subaccount_numbers_and_segments_are_refused(api: ErpApi) -> None:
    row = examples.SUBACCOUNTS_READ[0]
    twice = {**row, "segments": [row["segments"][0], row["segments"][0]]}

    problem = assert_problem(api.put(SUBACCOUNTS, [row, twice]), 400, "invalid")

    assert {e["path"] for e in problem["errors"]} == {
        "[1].subaccountNumber",
        "[1].segments[1].segmentId",
    }
