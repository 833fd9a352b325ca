"""Creating a tenant: the company row and the setup every company starts with.

Kept apart from `orgunits/services.py` for now; the two modules merge later.
"""

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from orgunits.models import ApproverRole, Company

DEFAULT_APPROVER_ROLE_NAME = "Approver (default)"

_CURRENCY = re.compile(r"[A-Z]{3}")


def validate_currency_code(value: str) -> None:
    """A Django validator: ISO 4217 style, three capital letters."""
    # The model's check constraint rejects a bad currency too, but only with the
    # constraint's name; people deserve the rule in words.
    if not _CURRENCY.fullmatch(value):
        raise ValidationError(
            _("Currency must be an ISO 4217 code of three capital letters, e.g. NOK."),
            code="invalid_currency",
        )


@transaction.atomic
def company_create(*, code: str, name: str, currency: str) -> Company:
    """Create a company with its default approver role.

    Raises ValidationError for a bad code or currency, or a code already in use.
    """
    try:
        validate_currency_code(currency)
    except ValidationError as error:
        raise ValidationError({"currency": error.error_list}) from error
    company = Company(code=code, name=name, currency=currency)
    company.full_clean()
    company.save()
    # Workflow rules name a role; a company without one could not route anything.
    role = ApproverRole(
        company=company, name=DEFAULT_APPROVER_ROLE_NAME, is_default=True
    )
    role.full_clean()
    role.save()
    return company
