"""Factories for every orgunits model.

Company propagation: a factory whose rows point at other company-scoped rows builds those
rows in its own company (`SelfAttribute("..company")`), and when a test passes a related
row but no company, the company is taken from that row (`_company_from`). So
`DepartmentApproverFactory(department=d)` lands in `d.company` with a role and an approver
of that same company, and nothing crosses companies by accident.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, TypeVar

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from factory.django import DjangoModelFactory

from orgunits.models import (
    ApproverRole,
    Branch,
    BranchApprover,
    Company,
    CostUnit,
    CostUnitCombination,
    CostUnitCombinationValue,
    CostUnitType,
    Department,
    DepartmentApprover,
    DocumentType,
    Employee,
    Membership,
    Project,
    ProjectApprover,
    ProjectTask,
    RequesterException,
    Subaccount,
    Substitution,
)

User = get_user_model()
T = TypeVar("T", bound=models.Model)

#: Cell values for `combination()` besides a cost unit code.
ANY = "*"
UNSPECIFIED = "(unspecified)"


class CompanyScopedFactory(DjangoModelFactory[T]):
    """Takes the company from the first related row passed in when none is given.

    `_generate` is the entry point of `create()`/`build()` with the caller's own
    keyword arguments, before any declaration is evaluated, so the company chosen here
    reaches every `SelfAttribute("..company")` below.
    """

    _company_from: ClassVar[tuple[str, ...]] = ()

    class Meta:
        abstract = True

    @classmethod
    def _generate(cls, strategy: str, params: dict[str, Any]) -> T:
        if "company" not in params:
            for name in cls._company_from:
                related = params.get(name)
                company = getattr(related, "company", None)
                if company is not None:
                    params = {**params, "company": company}
                    break
        return super()._generate(strategy, params)


def _same_company(factory_class: type[factory.Factory], **kwargs: Any) -> Any:
    return factory.SubFactory(
        factory_class, company=factory.SelfAttribute("..company"), **kwargs
    )


class CompanyFactory(DjangoModelFactory[Company]):
    code = factory.Sequence(lambda n: f"co{n}")
    name = factory.Sequence(lambda n: f"Company {n}")
    currency = "EUR"

    class Meta:
        model = Company
        django_get_or_create = ("code",)


class UserFactory(DjangoModelFactory[AbstractUser]):
    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    # Fixed, not Faker's: the login's name is on every page (the navigation), and a
    # random "Bobby" made a test asserting that "Bob" is absent fail now and then.
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User {n}")
    password = factory.django.Password("password")

    class Meta:
        model = User
        django_get_or_create = ("username",)


class MembershipFactory(CompanyScopedFactory[Membership]):
    company = factory.SubFactory(CompanyFactory)
    user = factory.SubFactory(UserFactory)

    class Meta:
        model = Membership

    class Params:
        approver = factory.Trait(
            approves_purchase_invoices=True,
            approves_time_sheets=True,
            approves_expense_claims=True,
        )
        admin = factory.Trait(is_system_admin=True)
        viewer = factory.Trait(is_system_viewer=True)


class BranchFactory(CompanyScopedFactory[Branch]):
    company = factory.SubFactory(CompanyFactory)
    code = factory.Sequence(lambda n: f"B{n}")
    name = factory.Faker("city")

    class Meta:
        model = Branch


class DepartmentFactory(CompanyScopedFactory[Department]):
    company = factory.SubFactory(CompanyFactory)
    code = factory.Sequence(lambda n: f"D{n}")
    name = factory.Faker("job")

    class Meta:
        model = Department


class EmployeeFactory(CompanyScopedFactory[Employee]):
    """An employee; `rights=[DocumentType...]` also gives them a login and a membership.

    `EmployeeFactory(with_login=True)` links a fresh login without any rights.
    """

    _company_from = ("department", "branch", "manager")

    company = factory.SubFactory(CompanyFactory)
    number = factory.Sequence(lambda n: f"E{n:04d}")
    name = factory.Faker("name")
    email = factory.LazyAttribute(lambda o: f"{o.number.lower()}@example.com")
    active = True

    class Meta:
        model = Employee
        skip_postgeneration_save = True

    class Params:
        with_login = factory.Trait(user=factory.SubFactory(UserFactory))

    @factory.post_generation
    def rights(
        obj: Employee,
        create: bool,
        extracted: Iterable[str] | None,
        **kwargs: Any,
    ) -> None:
        if not create or extracted is None:
            return
        if obj.user is None:
            obj.user = UserFactory()
            obj.save(update_fields=["user"])
        wanted = {DocumentType(t) for t in extracted}
        Membership.objects.update_or_create(
            company=obj.company,
            user=obj.user,
            defaults={
                field: doc_type in wanted
                for doc_type, field in Membership.APPROVER_FIELD_BY_TYPE.items()
            },
        )


class CostUnitTypeFactory(CompanyScopedFactory[CostUnitType]):
    """A segment; used for routing at `routing_position` = its segment id by default."""

    company = factory.SubFactory(CompanyFactory)
    segment_id = factory.Sequence(lambda n: n + 1)
    name = factory.Sequence(lambda n: f"Segment {n + 1}")
    routing_position = factory.LazyAttribute(lambda o: o.segment_id)

    class Meta:
        model = CostUnitType


class CostUnitFactory(CompanyScopedFactory[CostUnit]):
    _company_from = ("type",)

    company = factory.SubFactory(CompanyFactory)
    type = _same_company(CostUnitTypeFactory)
    code = factory.Sequence(lambda n: f"U{n}")
    name = factory.Faker("word")

    class Meta:
        model = CostUnit
        django_get_or_create = ("type", "code")


class SubaccountFactory(CompanyScopedFactory[Subaccount]):
    company = factory.SubFactory(CompanyFactory)
    number = factory.Sequence(lambda n: f"{n:06d}")
    description = factory.Faker("sentence", nb_words=3)
    segment_values = factory.LazyFunction(lambda: {"1": "10"})

    class Meta:
        model = Subaccount


class ProjectFactory(CompanyScopedFactory[Project]):
    _company_from = ("manager",)

    company = factory.SubFactory(CompanyFactory)
    code = factory.Sequence(lambda n: f"P{n}")
    name = factory.Faker("catch_phrase")
    manager = None

    class Meta:
        model = Project


class ProjectTaskFactory(CompanyScopedFactory[ProjectTask]):
    _company_from = ("project",)

    company = factory.SubFactory(CompanyFactory)
    project = _same_company(ProjectFactory)
    code = factory.Sequence(lambda n: f"T{n}")
    name = factory.Faker("bs")

    class Meta:
        model = ProjectTask


class ApproverRoleFactory(CompanyScopedFactory[ApproverRole]):
    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"Role {n}")
    is_default = False

    class Meta:
        model = ApproverRole
        django_get_or_create = ("company", "name")


class _AssignmentFactory(CompanyScopedFactory[T]):
    company = factory.SubFactory(CompanyFactory)
    role = _same_company(ApproverRoleFactory)
    approver = _same_company(EmployeeFactory)

    class Meta:
        abstract = True


class CostUnitCombinationFactory(_AssignmentFactory[CostUnitCombination]):
    """A combination row without values (every type matches like Any); see `combination`."""

    _company_from = ("role", "approver")

    class Meta:
        model = CostUnitCombination


class CostUnitCombinationValueFactory(CompanyScopedFactory[CostUnitCombinationValue]):
    _company_from = ("combination", "type", "cost_unit")

    company = factory.SubFactory(CompanyFactory)
    combination = _same_company(CostUnitCombinationFactory)
    type = _same_company(CostUnitTypeFactory)
    match = CostUnitCombinationValue.Match.VALUE
    cost_unit = factory.Maybe(
        "is_value",
        _same_company(CostUnitFactory, type=factory.SelfAttribute("..type")),
        None,
    )

    class Meta:
        model = CostUnitCombinationValue

    class Params:
        is_value = factory.LazyAttribute(
            lambda o: o.match == CostUnitCombinationValue.Match.VALUE
        )

    @classmethod
    def _generate(
        cls, strategy: str, params: dict[str, Any]
    ) -> CostUnitCombinationValue:
        # A given cost unit decides the type: the two must agree.
        cost_unit = params.get("cost_unit")
        if cost_unit is not None and "type" not in params:
            params = {**params, "type": cost_unit.type}
        return super()._generate(strategy, params)


class DepartmentApproverFactory(_AssignmentFactory[DepartmentApprover]):
    _company_from = ("department", "role", "approver")

    department = _same_company(DepartmentFactory)

    class Meta:
        model = DepartmentApprover


class ProjectApproverFactory(_AssignmentFactory[ProjectApprover]):
    """Project-wide by default; pass `task=` for a task row (the project follows it)."""

    _company_from = ("project", "task", "role", "approver")

    task = None
    project = factory.Maybe(
        "task",
        factory.SelfAttribute("task.project"),
        _same_company(ProjectFactory),
    )

    class Meta:
        model = ProjectApprover


class BranchApproverFactory(_AssignmentFactory[BranchApprover]):
    _company_from = ("branch", "role", "approver")

    branch = _same_company(BranchFactory)

    class Meta:
        model = BranchApprover


class RequesterExceptionFactory(_AssignmentFactory[RequesterException]):
    _company_from = ("requester", "role", "approver")

    requester = _same_company(EmployeeFactory)

    class Meta:
        model = RequesterException


class SubstitutionFactory(CompanyScopedFactory[Substitution]):
    """Active now with an open end unless dates are given."""

    _company_from = ("principal", "substitute")

    company = factory.SubFactory(CompanyFactory)
    principal = _same_company(EmployeeFactory)
    substitute = _same_company(EmployeeFactory)
    starts_at = factory.LazyFunction(timezone.now)
    ends_at = None
    created_by = None

    class Meta:
        model = Substitution


# --- concise builders for table-driven tests ------------------------------------------


def routing_types(company: Company, *names: str) -> list[CostUnitType]:
    """Cost unit types used for routing, in hierarchy order (the first name is the top)."""
    return [
        CostUnitTypeFactory(
            company=company, segment_id=position, name=name, routing_position=position
        )
        for position, name in enumerate(names, start=1)
    ]


def unit(unit_type: CostUnitType, code: str) -> CostUnit:
    """The cost unit `code` of a type, created on first use."""
    return CostUnitFactory(company=unit_type.company, type=unit_type, code=code)


def combination(
    company: Company,
    role: ApproverRole,
    approver: Employee,
    values: Mapping[CostUnitType | int | str, str] | None = None,
) -> CostUnitCombination:
    """One combination row with its values.

    `values` maps a type (the row itself, its segment id or its name) to a cost unit code,
    `ANY` or `UNSPECIFIED`; a type left out matches like Any. Example::

        combination(co, role, alice, {"Department": "R&D", "Product": "Beta"})
    """
    row = CostUnitCombinationFactory(company=company, role=role, approver=approver)
    types = list(CostUnitType.objects.filter(company=company))
    for key, cell in (values or {}).items():
        unit_type = next(
            t
            for t in types
            if (
                t.pk == key.pk
                if isinstance(key, CostUnitType)
                else key in (t.segment_id, t.name)
            )
        )
        if cell == ANY:
            match, cost_unit = CostUnitCombinationValue.Match.ANY, None
        elif cell == UNSPECIFIED:
            match, cost_unit = CostUnitCombinationValue.Match.UNSPECIFIED, None
        else:
            match, cost_unit = (
                CostUnitCombinationValue.Match.VALUE,
                unit(unit_type, cell),
            )
        CostUnitCombinationValueFactory(
            company=company,
            combination=row,
            type=unit_type,
            match=match,
            cost_unit=cost_unit,
        )
    return row
