"""django-filter FilterSets of the ERP API, applied by the selectors (STYLE §6)."""

from __future__ import annotations

import django_filters

from documents.choices import DocumentStatus
from documents.models import Document
from orgunits.models import DocumentType


class ErpDocumentFilterSet(django_filters.FilterSet):
    """`GET /api/v1/documents?type=&status=&erp_reference=&updated_after=`."""

    type = django_filters.ChoiceFilter(
        field_name="document_type", choices=DocumentType.choices
    )
    status = django_filters.ChoiceFilter(
        field_name="status", choices=DocumentStatus.choices
    )
    erp_reference = django_filters.CharFilter(field_name="erp_reference")
    erp_document_type = django_filters.CharFilter(field_name="erp_document_type")
    updated_after = django_filters.IsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gt"
    )

    class Meta:
        model = Document
        fields: list[str] = []
