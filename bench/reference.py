"""The two yardsticks of issue 8: what bare Django + DRF does on this deployment.

`InvoiceCreateView` is a minimal DRF endpoint doing nothing but a nested create of a
10-line invoice (no authentication, no idempotency, no Visma shapes, no routing): the
rate Signoff's ingest is compared with. `rows_page` is a plain server-rendered page of 50
task rows (login, one query, a bare template): what My tasks is compared with.

Deliberately "naive DRF": the create lives in the serializer because that is what the
yardstick measures, not how Signoff is written. The documents land in the separate
company `benchref`, cancelled, so no worker, list or reconciliation ever picks them up.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework import serializers
from rest_framework.generics import CreateAPIView
from rest_framework.permissions import AllowAny

from documents.choices import DocumentStatus, TaskStatus
from documents.models import Document, Line, Task
from orgunits.models import Company

REFERENCE_COMPANY = "benchref"


class LineSerializer(serializers.ModelSerializer):
    class Meta:
        model = Line
        fields = [
            "line_number",
            "description",
            "quantity",
            "amount",
            "account",
            "subaccount_number",
            "segment_values",
            "department_code",
            "project_code",
            "task_code",
            "branch_code",
        ]


class InvoiceSerializer(serializers.ModelSerializer):
    lines = LineSerializer(many=True)

    class Meta:
        model = Document
        fields = [
            "id",
            "document_type",
            "erp_document_type",
            "erp_reference",
            "gross_amount",
            "net_amount",
            "vat_amount",
            "currency",
            "supplier_number",
            "supplier_name",
            "description",
            "document_date",
            "due_date",
            "lines",
        ]

    @transaction.atomic
    def create(self, validated_data: dict[str, Any]) -> Document:
        lines = validated_data.pop("lines")
        company = Company.objects.get(code=REFERENCE_COMPANY)
        document = Document.objects.create(
            company=company, status=DocumentStatus.CANCELLED, **validated_data
        )
        Line.objects.bulk_create(
            Line(company=company, document=document, **line) for line in lines
        )
        return document


class InvoiceCreateView(CreateAPIView):
    serializer_class = InvoiceSerializer
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]


@login_required
def rows_page(request: HttpRequest) -> HttpResponse:
    tasks = (
        Task.objects.filter(assignee__user=request.user, status=TaskStatus.ACTIVE)
        .select_related("document", "assignee")
        .order_by("due_date", "pk")[:50]
    )
    return render(request, "bench/rows.html", {"tasks": tasks})
