"""Company-scoped reads. Every query for business data names its company."""

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, QuerySet

from orgunits.models import (
    ApproverRole,
    Branch,
    BranchApprover,
    Company,
    CostUnit,
    CostUnitCombination,
    CostUnitType,
    Department,
    DepartmentApprover,
    DocumentType,
    Employee,
    Membership,
    Project,
    ProjectApprover,
    RequesterException,
    Substitution,
)


def membership_list_for_user(
    *, user: AbstractBaseUser | AnonymousUser
) -> QuerySet[Membership]:
    """The companies a login works in, with their roles."""
    if not user.is_authenticated:
        return Membership.objects.none()
    return (
        Membership.objects.filter(user=user, company__is_active=True)
        .select_related("company")
        .order_by("company__name")
    )


def membership_get(*, company: Company, user: AbstractBaseUser) -> Membership | None:
    return Membership.objects.filter(company=company, user=user).first()


def company_get_by_code(*, code: str) -> Company:
    return Company.objects.get(code=code)


def employee_list(*, company: Company) -> QuerySet[Employee]:
    return Employee.objects.filter(company=company).select_related(
        "department", "branch", "manager", "user"
    )


def employee_get_by_number(*, company: Company, number: str) -> Employee | None:
    return employee_list(company=company).filter(number=number).first()


def employee_for_user(*, company: Company, user: AbstractBaseUser) -> Employee | None:
    return employee_list(company=company).filter(user=user).first()


def approver_list(*, company: Company, document_type: str) -> QuerySet[Employee]:
    """Active employees whose login holds the approver right for the document type.

    System viewers are never offered as approvers unless they also hold the right.
    """
    field = Membership.APPROVER_FIELD_BY_TYPE[DocumentType(document_type)]
    user_ids = Membership.objects.filter(company=company, **{field: True}).values(
        "user_id"
    )
    return employee_list(company=company).filter(active=True, user_id__in=user_ids)


def approver_role_list(*, company: Company) -> QuerySet[ApproverRole]:
    return ApproverRole.objects.filter(company=company)


def approver_role_usage(*, role: ApproverRole) -> dict[str, int]:
    """How many rows point at the role, per kind (model label), zero kinds included.

    Deleting the role deletes these rows too (DOMAIN §2), so the UI shows the counts as a
    warning first. The kinds are found through the model relations rather than listed:
    rows that other apps attach to a role (workflow step rules) are counted without this
    lower app importing them, and a kind added later cannot be forgotten.
    """
    counts: dict[str, int] = {}
    for relation in ApproverRole._meta.get_fields(include_hidden=True):
        if not (
            relation.auto_created
            and not relation.concrete
            and (relation.one_to_many or relation.one_to_one)
        ):
            continue
        model = relation.related_model
        counts[model._meta.label_lower] = model._default_manager.filter(
            **{relation.field.name: role}
        ).count()
    return dict(sorted(counts.items()))


def cost_unit_type_list(*, company: Company) -> QuerySet[CostUnitType]:
    return CostUnitType.objects.filter(company=company).order_by("segment_id")


def cost_unit_list(*, company: Company) -> QuerySet[CostUnit]:
    return CostUnit.objects.filter(company=company).select_related("type")


def department_list(*, company: Company) -> QuerySet[Department]:
    return Department.objects.filter(company=company)


def project_list(*, company: Company) -> QuerySet[Project]:
    return Project.objects.filter(company=company).select_related("manager")


def branch_list(*, company: Company) -> QuerySet[Branch]:
    return Branch.objects.filter(company=company)


def cost_unit_combination_list(*, company: Company) -> QuerySet[CostUnitCombination]:
    return (
        CostUnitCombination.objects.filter(company=company)
        .select_related("role", "approver")
        .prefetch_related("values__type", "values__cost_unit")
    )


def department_approver_list(*, company: Company) -> QuerySet[DepartmentApprover]:
    return DepartmentApprover.objects.filter(company=company).select_related(
        "department", "role", "approver"
    )


def project_approver_list(*, company: Company) -> QuerySet[ProjectApprover]:
    return ProjectApprover.objects.filter(company=company).select_related(
        "project", "task", "role", "approver"
    )


def branch_approver_list(*, company: Company) -> QuerySet[BranchApprover]:
    return BranchApprover.objects.filter(company=company).select_related(
        "branch", "role", "approver"
    )


def requester_exception_list(*, company: Company) -> QuerySet[RequesterException]:
    return RequesterException.objects.filter(company=company).select_related(
        "requester", "role", "approver"
    )


def substitution_list(*, company: Company) -> QuerySet[Substitution]:
    return Substitution.objects.filter(company=company).select_related(
        "principal", "substitute"
    )


def approver_role_usage_by_role(*, company: Company) -> dict[int, dict[str, int]]:
    """`approver_role_usage` for every role of the company at once: role id → counts.

    One query per kind of row (not per role), so the roles page costs the same however
    many roles there are. Kinds without rows for a role are left out.
    """
    usage: dict[int, dict[str, int]] = {}
    for relation in ApproverRole._meta.get_fields(include_hidden=True):
        if not (
            relation.auto_created
            and not relation.concrete
            and (relation.one_to_many or relation.one_to_one)
        ):
            continue
        model = relation.related_model
        name = relation.field.name
        rows = (
            model._default_manager.filter(**{f"{name}__company": company})
            .values(name)
            .annotate(n=Count("pk"))
            .order_by()
        )
        for row in rows:
            usage.setdefault(row[name], {})[model._meta.label_lower] = row["n"]
    return usage
