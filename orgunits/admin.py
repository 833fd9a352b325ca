"""Django admin for companies, people, org units and their approver assignments.

Rows synced from the ERP (`erp_synced=True`) are read-only here and cannot be deleted:
the sync owns them. What Signoff itself owns stays editable on them: their approver
assignments (inlines), a cost unit type's routing position and an employee's locally
set nearest manager (DOMAIN §1, §2). Every row a form points at must belong to the
company of the row being edited (DOMAIN §1). Saves that have rules of their own go
through the services; a service's refusal is shown as a form error, nothing is saved.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet, InlineForeignKeyField
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.exceptions import ApplicationError
from orgunits.models import (
    ApproverRole,
    Branch,
    BranchApprover,
    Company,
    CompanyScopedModel,
    CostUnit,
    CostUnitCombination,
    CostUnitCombinationValue,
    CostUnitType,
    Department,
    DepartmentApprover,
    Employee,
    Membership,
    Project,
    ProjectApprover,
    ProjectTask,
    RequesterException,
    Subaccount,
    Substitution,
)
from orgunits.services import (
    approver_role_delete,
    employee_set_manager,
    substitution_end,
    substitution_set,
)
from orgunits.services_combinations import cost_unit_value_problem
from orgunits.services_company import company_create, validate_currency_code

ROLE_FIELDS = (
    "is_system_admin",
    "is_system_viewer",
    "approves_purchase_invoices",
    "approves_time_sheets",
    "approves_expense_claims",
)


# --- forms ----------------------------------------------------------------------------


def _company_id_of(value: object) -> int | None:
    if isinstance(value, Company):
        return value.pk
    if isinstance(value, CompanyScopedModel):
        return value.company_id
    return None


class SameCompanyForm(forms.ModelForm):
    """Refuses rows of another company; gives a new inline row its parent's company."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        company_id = self._row_company_id(cleaned)
        if company_id is None:
            return cleaned
        if "company" not in self.fields and self.instance.company_id is None:
            # An inline row belongs to the company of the row it is attached to.
            self.instance.company_id = company_id
        for name, value in list(cleaned.items()):
            other = _company_id_of(value)
            if other is not None and other != company_id:
                self.add_error(name, _("This belongs to another company."))
        return cleaned

    def _row_company_id(self, cleaned: dict[str, Any]) -> int | None:
        if isinstance(company := cleaned.get("company"), Company):
            return company.pk
        if self.instance.company_id is not None:
            return int(self.instance.company_id)
        for name, field in self.fields.items():
            if isinstance(field, InlineForeignKeyField):
                return _company_id_of(cleaned.get(name))
        return None


class _DryRun(Exception):
    """Rolls back a service call that only checked whether the service would accept."""


def service_refusal(call: Callable[[], object]) -> str | None:
    """The message with which the service refuses `call`, or None. Writes nothing.

    The call runs in a savepoint that is always rolled back (on_commit callbacks
    registered inside it are discarded with it); the admin then calls the service for
    real in `save_model`, inside the same request transaction.
    """
    try:
        with transaction.atomic():
            call()
            raise _DryRun
    except _DryRun:
        return None
    except ApplicationError as error:
        return error.message


class ServiceCheckedForm(SameCompanyForm):
    """A form whose save is a service call: the service's refusal is a form error.

    `actor` is set by the admin's `get_form` (the services decide by who is acting).
    """

    actor: AbstractBaseUser
    _refused = False

    def service_call(self, cleaned: dict[str, Any]) -> Callable[[], object] | None:
        """The service call the save will make, or None when the save needs none."""
        return None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        call = self.service_call(cleaned)
        if call is not None and (message := service_refusal(call)) is not None:
            self._refused = True
            raise ValidationError(message, code="refused")
        return cleaned

    def _post_clean(self) -> None:
        # Once the service refused, the model's own checks could only repeat its
        # message in database terms ("Constraint ... is violated").
        if not self._refused:
            super()._post_clean()


class SameCompanyInlineFormSet(BaseInlineFormSet):
    """Offers each inline row only rows of the parent's company to choose from."""

    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        # A parent being added has no company yet; SameCompanyForm checks those rows
        # once the parent form has set it.
        company_id = getattr(self.instance, "company_id", None)
        if company_id is None:
            return
        for field in form.fields.values():
            if isinstance(field, forms.ModelChoiceField) and issubclass(
                field.queryset.model, CompanyScopedModel
            ):
                field.queryset = field.queryset.filter(company_id=company_id)


# --- base admins ----------------------------------------------------------------------


class CompanyScopedAdmin(admin.ModelAdmin):
    """Business data of one company: the company is chosen once and never changes."""

    form = SameCompanyForm
    list_per_page = 50

    def get_form(
        self,
        request: HttpRequest,
        obj: models.Model | None = None,
        change: bool = False,
        **kwargs: Any,
    ) -> type[forms.ModelForm]:
        form = super().get_form(request, obj, change, **kwargs)
        # modelform_factory makes a new class per call, so this stays per request.
        # Read by ServiceCheckedForm: the services decide by who is acting.
        form.actor = request.user  # type: ignore[attr-defined]
        return form

    def get_readonly_fields(
        self, request: HttpRequest, obj: models.Model | None = None
    ) -> Sequence[str]:
        fields = list(super().get_readonly_fields(request, obj))
        # Moving a row to another tenant would leave it pointing at the old one's rows.
        if obj is not None and "company" not in fields:
            fields.append("company")
        return fields

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ApplicationError as error:
            # The service accepted while the form was validated but refused at save:
            # another request changed the data in between. The admin's transaction has
            # rolled back, so nothing of this save (inlines included) was kept.
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class ErpSyncedAdmin(CompanyScopedAdmin):
    """Rows the ERP sync owns: read-only and undeletable once synced.

    `locally_editable_fields` are Signoff's own settings stored on the synced row.
    """

    locally_editable_fields: Sequence[str] = ()

    def get_readonly_fields(
        self, request: HttpRequest, obj: models.Model | None = None
    ) -> Sequence[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is None:
            return fields
        fields.append("erp_synced")
        if obj.erp_synced:  # type: ignore[attr-defined]  # every ErpSyncedModel has it
            fields += [
                f.name
                for f in self.model._meta.concrete_fields
                if f.editable
                and not f.primary_key
                and f.name not in self.locally_editable_fields
            ]
        return list(dict.fromkeys(fields))

    def has_delete_permission(
        self, request: HttpRequest, obj: models.Model | None = None
    ) -> bool:
        if obj is not None and obj.erp_synced:  # type: ignore[attr-defined]
            return False
        return super().has_delete_permission(request, obj)

    def save_model(
        self, request: HttpRequest, obj: models.Model, form: forms.Form, change: bool
    ) -> None:
        if change and obj.erp_synced:  # type: ignore[attr-defined]
            # Only Signoff's own settings are written; a full save would also write
            # back every synced field as this page read it.
            fields = [n for n in form.changed_data if n in self.locally_editable_fields]
            if fields:
                obj.save(update_fields=[*fields, "updated_at"])
            return
        super().save_model(request, obj, form, change)


class AssignmentInline(admin.TabularInline):
    """Approvers with their role for the unit on the page (editable on synced units)."""

    form = SameCompanyForm
    formset = SameCompanyInlineFormSet
    exclude = ("company",)
    extra = 1
    autocomplete_fields = ("approver",)


# --- company, logins and people -------------------------------------------------------


class CompanyForm(forms.ModelForm):
    def clean_currency(self) -> str:
        currency = str(self.cleaned_data["currency"])
        validate_currency_code(currency)
        return currency


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    form = CompanyForm
    list_display = ("name", "code", "currency", "is_active", "created_at")
    list_filter = ("is_active", "currency")
    search_fields = ("code", "name")

    def get_fields(
        self, request: HttpRequest, obj: Company | None = None
    ) -> Sequence[str]:
        if obj is None:
            return ("code", "name", "currency")
        return ("code", "name", "currency", "is_active")

    def get_readonly_fields(
        self, request: HttpRequest, obj: Company | None = None
    ) -> Sequence[str]:
        # The ERP and every URL know the company by its code.
        return ("code",) if obj is not None else ()

    def save_model(
        self, request: HttpRequest, obj: Company, form: forms.Form, change: bool
    ) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        # A new company gets its default approver role from the same service as
        # `manage.py create_company`.
        company = company_create(code=obj.code, name=obj.name, currency=obj.currency)
        obj.pk = company.pk
        obj.refresh_from_db()


@admin.register(Membership)
class MembershipAdmin(CompanyScopedAdmin):
    list_display = ("user", "company", *ROLE_FIELDS)
    list_select_related = ("user", "company")
    list_filter = ("company", *ROLE_FIELDS)
    search_fields = (
        "user__username",
        "user__email",
        "user__first_name",
        "user__last_name",
    )
    autocomplete_fields = ("user",)
    fieldsets = (
        (None, {"fields": ("company", "user")}),
        (_("Roles in this company"), {"fields": ROLE_FIELDS}),
    )


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "user"
    fields = ("company", *ROLE_FIELDS)
    extra = 0
    verbose_name = _("role in a company")
    verbose_name_plural = _("roles per company")


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class SignoffUserAdmin(UserAdmin):
    """Django's user admin, plus the login's roles in each company."""

    inlines = (*UserAdmin.inlines, MembershipInline)


class RequesterExceptionInline(AssignmentInline):
    model = RequesterException
    fk_name = "requester"
    fields = ("role", "approver")
    verbose_name = _("approver exception for this requester")
    verbose_name_plural = _("approver exceptions for this requester")


class EmployeeForm(ServiceCheckedForm):
    def service_call(self, cleaned: dict[str, Any]) -> Callable[[], object] | None:
        if self.instance.pk is None or "manager" not in self.changed_data:
            return None
        # The service refuses loops of managers, inactive or foreign managers.
        return lambda: employee_set_manager(
            employee=self.instance, manager=cleaned.get("manager"), actor=self.actor
        )


@admin.register(Employee)
class EmployeeAdmin(ErpSyncedAdmin):
    form = EmployeeForm
    # DOMAIN §1: the nearest manager may come from the ERP or be set in Signoff.
    locally_editable_fields = ("manager",)
    list_display = (
        "number",
        "name",
        "email",
        "department",
        "branch",
        "manager",
        "user",
        "company",
        "active",
        "erp_synced",
    )
    list_select_related = ("department", "branch", "manager", "user", "company")
    list_filter = ("company", "active", "erp_synced", "manager_source")
    search_fields = ("number", "name", "email", "user__username")
    autocomplete_fields = ("department", "branch", "manager", "user")
    inlines = (RequesterExceptionInline,)

    def save_model(
        self, request: HttpRequest, obj: Employee, form: forms.Form, change: bool
    ) -> None:
        if change and "manager" in form.changed_data:
            saved = employee_set_manager(
                employee=obj, manager=obj.manager, actor=request.user
            )
            if obj.erp_synced:
                return  # the manager was the only thing that could change
            obj.manager_source = saved.manager_source
        super().save_model(request, obj, form, change)


# --- org units synced from the ERP ----------------------------------------------------


@admin.register(CostUnitType)
class CostUnitTypeAdmin(ErpSyncedAdmin):
    # DOMAIN §2: the administrator chooses which segments route, and in which order.
    locally_editable_fields = ("routing_position",)
    list_display = (
        "segment_id",
        "name",
        "routing_position",
        "company",
        "active",
        "erp_synced",
    )
    list_select_related = ("company",)
    list_filter = ("company", "active", "erp_synced")
    search_fields = ("name",)


@admin.register(CostUnit)
class CostUnitAdmin(ErpSyncedAdmin):
    list_display = ("code", "name", "type", "company", "active", "erp_synced")
    list_select_related = ("type", "company")
    list_filter = ("company", "type__name", "active", "erp_synced")
    search_fields = ("code", "name", "type__name")


@admin.register(Subaccount)
class SubaccountAdmin(ErpSyncedAdmin):
    list_display = (
        "number",
        "description",
        "segment_values",
        "company",
        "active",
        "erp_synced",
    )
    list_select_related = ("company",)
    list_filter = ("company", "active", "erp_synced")
    search_fields = ("number", "description")


class DepartmentApproverInline(AssignmentInline):
    model = DepartmentApprover
    fields = ("role", "approver")


@admin.register(Department)
class DepartmentAdmin(ErpSyncedAdmin):
    list_display = ("code", "name", "company", "active", "erp_synced")
    list_select_related = ("company",)
    list_filter = ("company", "active", "erp_synced")
    search_fields = ("code", "name")
    inlines = (DepartmentApproverInline,)


class BranchApproverInline(AssignmentInline):
    model = BranchApprover
    fields = ("role", "approver")


@admin.register(Branch)
class BranchAdmin(ErpSyncedAdmin):
    list_display = ("code", "name", "company", "active", "erp_synced")
    list_select_related = ("company",)
    list_filter = ("company", "active", "erp_synced")
    search_fields = ("code", "name")
    inlines = (BranchApproverInline,)


class ProjectApproverForm(SameCompanyForm):
    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        project, task = cleaned.get("project"), cleaned.get("task")
        if task is not None and project is not None and project.pk != task.project_id:
            self.add_error("task", _("This task belongs to another project."))
        return cleaned


class ProjectApproverInlineFormSet(SameCompanyInlineFormSet):
    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        tasks = ProjectTask.objects.filter(project_id=self.instance.pk)
        form.fields["task"].queryset = tasks if self.instance.pk else tasks.none()


class ProjectApproverInline(AssignmentInline):
    model = ProjectApprover
    form = ProjectApproverForm
    formset = ProjectApproverInlineFormSet
    fields = ("task", "role", "approver")


@admin.register(Project)
class ProjectAdmin(ErpSyncedAdmin):
    list_display = ("code", "name", "manager", "company", "active", "erp_synced")
    list_select_related = ("manager", "company")
    list_filter = ("company", "active", "erp_synced")
    search_fields = ("code", "name", "manager__name")
    autocomplete_fields = ("manager",)
    inlines = (ProjectApproverInline,)


@admin.register(ProjectTask)
class ProjectTaskAdmin(ErpSyncedAdmin):
    list_display = ("__str__", "name", "project", "company", "active", "erp_synced")
    list_select_related = ("project", "company")
    list_filter = ("company", "active", "erp_synced")
    search_fields = ("code", "name", "project__code", "project__name")
    autocomplete_fields = ("project",)


# --- approver roles and assignments ---------------------------------------------------


@admin.register(ApproverRole)
class ApproverRoleAdmin(CompanyScopedAdmin):
    list_display = ("name", "is_default", "company")
    list_select_related = ("company",)
    list_filter = ("company", "is_default")
    search_fields = ("name",)

    def has_delete_permission(
        self, request: HttpRequest, obj: ApproverRole | None = None
    ) -> bool:
        # Every company keeps its default role; the service refuses it too.
        if obj is not None and obj.is_default:
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request: HttpRequest, obj: ApproverRole) -> None:
        # The confirmation page has listed the assignments that go with the role.
        try:
            approver_role_delete(role=obj, actor=request.user)
        except ApplicationError as error:
            raise PermissionDenied(error.message) from error

    @transaction.atomic
    def delete_queryset(
        self, request: HttpRequest, queryset: QuerySet[ApproverRole]
    ) -> None:
        for role in queryset:
            self.delete_model(request, role)


class CostUnitCombinationValueForm(SameCompanyForm):
    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        # The same rule as the setup pages' combination table.
        problem = cost_unit_value_problem(
            match=cleaned.get("match"),
            cost_unit=cleaned.get("cost_unit"),
            cost_unit_type=cleaned.get("type"),
        )
        if problem is not None:
            self.add_error("cost_unit", problem)
        return cleaned


class CostUnitCombinationValueInline(admin.TabularInline):
    model = CostUnitCombinationValue
    form = CostUnitCombinationValueForm
    formset = SameCompanyInlineFormSet
    fields = ("type", "match", "cost_unit")
    extra = 2
    autocomplete_fields = ("cost_unit",)


@admin.register(CostUnitCombination)
class CostUnitCombinationAdmin(CompanyScopedAdmin):
    list_display = ("id", "cells", "role", "approver", "company")
    list_filter = ("company", "role__name")
    search_fields = ("approver__name", "approver__number", "role__name")
    autocomplete_fields = ("approver",)
    inlines = (CostUnitCombinationValueInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[CostUnitCombination]:
        return (
            super()
            .get_queryset(request)
            .select_related("role", "approver", "company")
            .prefetch_related("values__type", "values__cost_unit")
        )

    @admin.display(description=_("combination"))
    def cells(self, obj: CostUnitCombination) -> str:
        values = sorted(
            obj.values.all(),
            key=lambda v: (v.type.routing_position or 0, v.type.segment_id),
        )
        return " + ".join(f"{v.type.name}={v}" for v in values) or "—"


@admin.register(CostUnitCombinationValue)
class CostUnitCombinationValueAdmin(CompanyScopedAdmin):
    form = CostUnitCombinationValueForm
    list_display = ("combination", "type", "match", "cost_unit", "company")
    list_select_related = ("combination", "type", "cost_unit", "company")
    list_filter = ("company", "match", "type__name")
    search_fields = (
        "cost_unit__code",
        "cost_unit__name",
        "combination__approver__name",
    )
    autocomplete_fields = ("combination", "cost_unit")


@admin.register(DepartmentApprover)
class DepartmentApproverAdmin(CompanyScopedAdmin):
    list_display = ("department", "role", "approver", "company")
    list_select_related = ("department", "role", "approver", "company")
    list_filter = ("company", "role__name")
    search_fields = ("department__code", "department__name", "approver__name")
    autocomplete_fields = ("department", "approver")


@admin.register(ProjectApprover)
class ProjectApproverAdmin(CompanyScopedAdmin):
    form = ProjectApproverForm
    list_display = ("project", "task", "role", "approver", "company")
    list_select_related = (
        "project",
        "task",
        "task__project",
        "role",
        "approver",
        "company",
    )
    list_filter = ("company", "role__name")
    search_fields = ("project__code", "project__name", "approver__name")
    autocomplete_fields = ("project", "task", "approver")


@admin.register(BranchApprover)
class BranchApproverAdmin(CompanyScopedAdmin):
    list_display = ("branch", "role", "approver", "company")
    list_select_related = ("branch", "role", "approver", "company")
    list_filter = ("company", "role__name")
    search_fields = ("branch__code", "branch__name", "approver__name")
    autocomplete_fields = ("branch", "approver")


@admin.register(RequesterException)
class RequesterExceptionAdmin(CompanyScopedAdmin):
    list_display = ("requester", "role", "approver", "company")
    list_select_related = ("requester", "role", "approver", "company")
    list_filter = ("company", "role__name")
    search_fields = ("requester__name", "requester__number", "approver__name")
    autocomplete_fields = ("requester", "approver")


# --- substitutes ----------------------------------------------------------------------


class SubstitutionForm(ServiceCheckedForm):
    replace_current = forms.BooleanField(
        label=_("Replace the current substitute"),
        required=False,
        help_text=_(
            "End or remove the principal's substitutions that overlap this period "
            "instead of refusing."
        ),
    )

    class Meta:
        model = Substitution
        fields = ("company", "principal", "substitute", "starts_at", "ends_at")

    def service_call(self, cleaned: dict[str, Any]) -> Callable[[], object] | None:
        return self.save_through_service

    def save_through_service(self) -> Substitution:
        """Create the substitution through the service (DOMAIN §5 rules live there)."""
        cleaned = self.cleaned_data
        self.result = substitution_set(
            company=cleaned["company"],
            principal=cleaned["principal"],
            substitute=cleaned["substitute"],
            starts_at=cleaned["starts_at"],
            ends_at=cleaned.get("ends_at"),
            actor=self.actor,
            replace_current=bool(cleaned.get("replace_current")),
        )
        return self.result.substitution


@admin.register(Substitution)
class SubstitutionAdmin(CompanyScopedAdmin):
    """Substitutions are set and ended only through the services, never edited."""

    form = SubstitutionForm
    list_display = (
        "principal",
        "substitute",
        "starts_at",
        "ends_at",
        "active_now",
        "created_by",
        "company",
    )
    list_select_related = ("principal", "substitute", "created_by", "company")
    list_filter = ("company",)
    search_fields = ("principal__name", "substitute__name")
    autocomplete_fields = ("principal", "substitute")
    actions = ("end_now",)

    def has_change_permission(
        self, request: HttpRequest, obj: Substitution | None = None
    ) -> bool:
        # An existing row is only ever ended (the action below) so that what was in
        # force when is never rewritten.
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(
        self, request: HttpRequest, obj: Substitution | None = None
    ) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: Substitution, form: forms.Form, change: bool
    ) -> None:
        assert isinstance(form, SubstitutionForm)
        saved = form.save_through_service()
        for warning in form.result.warnings:
            self.message_user(request, warning, messages.WARNING)
        obj.pk = saved.pk
        obj.refresh_from_db()

    @admin.display(boolean=True, description=_("active now"))
    def active_now(self, obj: Substitution) -> bool:
        now = timezone.now()
        return obj.starts_at <= now and (obj.ends_at is None or obj.ends_at > now)

    @admin.action(description=_("End the selected substitutions now"))
    def end_now(self, request: HttpRequest, queryset: QuerySet[Substitution]) -> None:
        ended = 0
        for row in queryset.select_related("company", "principal"):
            try:
                substitution_end(substitution=row, actor=request.user)
            except ApplicationError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                ended += 1
        if ended:
            self.message_user(
                request,
                _("%(count)d substitutions ended.") % {"count": ended},
                messages.SUCCESS,
            )
