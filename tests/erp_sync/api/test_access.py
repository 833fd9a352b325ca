"""Who reaches what: ERP tokens reach only the ERP API, of their own company only;
logins never reach the ERP API (RELIABILITY 31, 32; INV-6)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from erp_sync.api.authentication import ErpClientPrincipal
from orgunits.models import Company, Department
from tests.erp_sync.conftest import ErpApi, assert_problem
from tests.factories.orgunits import CompanyFactory, DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path", ["/django-admin/", "/django-admin/orgunits/employee/", "/"]
)
def test_a_bearer_token_does_not_log_in_to_pages_or_the_admin(
    api: ErpApi, path: str
) -> None:
    response = api.http.get(path)

    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_a_logged_in_superuser_cannot_call_the_erp_api() -> None:
    browser = Client()
    browser.force_login(UserFactory(is_superuser=True, is_staff=True))

    response = browser.put(
        "/api/v1/sync/departments", data="[]", content_type="application/json"
    )

    assert_problem(response, 401, "not_authenticated")


def test_a_session_and_a_token_together_act_as_the_client_only(
    api: ErpApi, company: Company
) -> None:
    api.http.force_login(UserFactory(is_superuser=True, is_staff=True))

    response = api.put("sync/departments", [{"departmentId": "OPS"}])

    assert response.status_code == 200
    assert Department.objects.get(code="OPS").company == company


def test_the_principal_is_no_user_with_permissions(api: ErpApi) -> None:
    principal = ErpClientPrincipal(erp_client=api.erp_client)

    assert principal.is_authenticated
    assert not principal.is_staff
    assert not principal.is_superuser
    assert not principal.has_perm("orgunits.change_department")


def test_a_sync_touches_only_the_clients_company(
    api: ErpApi, company: Company, api_for: Callable[[Company], ErpApi]
) -> None:
    other = CompanyFactory(code="other")
    theirs = DepartmentFactory(company=other, code="SALES", name="Their sales")

    response = api.put(
        "sync/departments", [{"departmentId": "SALES", "description": "Ours"}]
    )

    assert response.json()["created"] == 1
    theirs.refresh_from_db()
    assert theirs.name == "Their sales"
    assert Department.objects.get(company=company, code="SALES").name == "Ours"

    response = api_for(other).put(
        "sync/departments", [{"departmentId": "SALES", "description": "Renamed"}]
    )

    assert response.json() == {
        "created": 0,
        "updated": 1,
        "unchanged": 0,
        "deactivated": 0,
    }
    assert Department.objects.get(company=company, code="SALES").name == "Ours"


def test_company_and_server_owned_fields_in_the_body_are_ignored(
    api: ErpApi, company: Company
) -> None:
    other = CompanyFactory(code="other")

    response = api.put(
        "sync/departments",
        [
            {
                "departmentId": "OPS",
                "company": other.code,
                "companyId": other.pk,
                "id": 999,
                "erp_synced": False,
                "created_at": "2000-01-01T00:00:00Z",
            }
        ],
    )

    assert response.status_code == 200
    department = Department.objects.get(code="OPS")
    assert department.company == company
    assert department.erp_synced is True
    assert department.pk != 999
    assert department.created_at.year > 2000


@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_unknown_api_paths_are_problem_404s(method: str) -> None:
    response = getattr(Client(), method)("/api/v1/no/such/thing")

    assert_problem(response, 404, "not_found")


def test_wrong_method_on_a_sync_endpoint_is_405(api: ErpApi) -> None:
    response = api.http.post(
        "/api/v1/sync/departments", data="[]", content_type="application/json"
    )

    body = assert_problem(response, 405, "method_not_allowed")
    assert "PUT" in response["Allow"]
    assert "POST" in body["detail"]
