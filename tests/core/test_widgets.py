"""LongSelect renders what Django's Select renders, without a template per option."""

from __future__ import annotations

import pytest
from django import forms
from django.test.html import parse_html

from core.widgets import LongSelect
from orgunits.models import Employee
from tests.factories.orgunits import CompanyFactory, EmployeeFactory

pytestmark = pytest.mark.django_db


def _form(widget: type[forms.Select], data: dict[str, str] | None) -> forms.Form:
    class PickForm(forms.Form):
        person = forms.ModelChoiceField(
            queryset=Employee.objects.order_by("pk"), widget=widget
        )

    return PickForm(data)


@pytest.mark.parametrize("chosen", [None, 1, "missing"])
def test_long_select_renders_the_same_markup_as_django_select(
    chosen: int | str | None,
) -> None:
    company = CompanyFactory()
    people = [
        EmployeeFactory(company=company, name='Eve "<script>alert(1)</script>"'),
        EmployeeFactory(company=company, name="Åse & Øystein"),
        EmployeeFactory(company=company, name="Kari"),
    ]
    data = None
    if chosen == "missing":
        data = {"person": ""}  # bound and invalid: aria-invalid on the select
    elif chosen is not None:
        data = {"person": str(people[chosen].pk)}

    ours = str(_form(LongSelect, data)["person"])
    django = str(_form(forms.Select, data)["person"])

    assert "<script>" not in ours
    assert ours.count("<option") == 4  # the empty choice and three people
    if chosen == 1:
        assert f'value="{people[1].pk}" selected' in ours
    assert parse_html(ours) == parse_html(django)
