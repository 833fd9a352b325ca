"""Supplier invoices in Visma.net's `SupplierInvoiceDto` read shape, as the ERP sends them.

A 10-line invoice is about 3 KB of JSON (the issue's reference size). The cost-centre
segment (2) picks the step-1 approver and the department segment (1) the controller of
step 2, so the seeded org routes every invoice to exactly one person per step.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

#: Segment ids of the bench company's subaccounts (orgunits.CostUnitType.segment_id).
DEPARTMENT_SEGMENT = 1
COST_CENTRE_SEGMENT = 2

ITEMS = (
    ("Printer paper A4", "6800", "Office supplies"),
    ("Toner cartridges", "6800", "Office supplies"),
    ("Consulting hours", "6700", "External services"),
    ("Software licence", "6540", "Software"),
    ("Travel, train tickets", "7140", "Travel"),
    ("Catering, workshop", "7350", "Representation"),
    ("Laptop docking station", "6550", "Equipment"),
    ("Courier service", "6860", "Freight"),
)


def cost_centre_code(index: int) -> str:
    return f"CC{index:04d}"


def department_code(index: int) -> str:
    return f"D{index:02d}"


def invoice(
    *,
    reference: str,
    cost_centre: str,
    department: str,
    lines: int = 10,
    supplier_number: str = "50012",
    due_date: str = "2026-12-31T00:00:00",
) -> dict[str, Any]:
    """A supplier invoice with `lines` lines, all on one cost centre and department."""
    invoice_lines = []
    total = Decimal(0)
    for number in range(1, lines + 1):
        description, account, account_name = ITEMS[number % len(ITEMS)]
        quantity = 1 + number % 4
        unit_cost = Decimal(120 + 17 * number).quantize(Decimal("0.01"))
        cost = unit_cost * quantity
        total += cost
        invoice_lines.append(
            {
                "lineNumber": number,
                "transactionDescription": description,
                "quantity": quantity,
                "uom": "PCS",
                "unitCostInCurrency": float(unit_cost),
                "costInCurrency": float(cost),
                "account": {"number": account, "description": account_name},
                "subaccount": {
                    "subaccountNumber": f"{department}-{cost_centre}",
                    "segments": [
                        {
                            "segmentId": DEPARTMENT_SEGMENT,
                            "segmentValue": department,
                        },
                        {
                            "segmentId": COST_CENTRE_SEGMENT,
                            "segmentValue": cost_centre,
                        },
                    ],
                },
            }
        )
    vat = (total * Decimal("0.25")).quantize(Decimal("0.01"))
    return {
        "documentType": "Invoice",
        "referenceNumber": reference,
        "status": "Balanced",
        "approvalStatus": "SentToApproval",
        "date": "2026-11-02T00:00:00",
        "dueDate": due_date,
        "supplier": {"number": supplier_number, "name": "Kontorrekvisita AS"},
        "supplierReference": f"F-{reference}",
        "description": f"Invoice {reference}",
        "currencyId": "NOK",
        "detailTotal": float(total),
        "vatTotal": float(vat),
        "amount": float(total + vat),
        "invoiceLines": invoice_lines,
    }


def invoice_json(**kwargs: Any) -> bytes:
    return json.dumps(invoice(**kwargs), separators=(",", ":")).encode()


def sync_subaccounts(count: int = 10_000) -> list[dict[str, Any]]:
    """`PUT /api/v1/sync/subaccounts`: 100 departments x 100 centres (SubAccountDto)."""
    side = max(1, int(count**0.5))
    return [
        {
            "subaccountNumber": f"D{d:02d}-C{c:03d}",
            "subaccountId": d * side + c,
            "description": f"Department {d} / centre {c}",
            "active": True,
            "segments": [
                {
                    "segmentId": 1,
                    "segmentDescription": "Department",
                    "segmentValue": f"D{d:02d}",
                    "segmentValueDescription": f"Department {d}",
                },
                {
                    "segmentId": 2,
                    "segmentDescription": "Cost centre",
                    "segmentValue": f"C{c:03d}",
                    "segmentValueDescription": f"Centre {c}",
                },
            ],
        }
        for d in range(side)
        for c in range(side)
    ]


def sync_employees(*, run: str, count: int = 5_000) -> list[dict[str, Any]]:
    """`PUT /api/v1/sync/employees` (EmployeeDto); logins unique per bench run."""
    return [
        {
            "employeeId": i,
            "employeeNumber": f"E{i:05d}",
            "employeeName": f"Person {i}",
            "employeeLogin": f"person{i}.{run}@example.com",
            "status": "Active",
            "department": f"DEP{i % 50}",
            "branch": {"number": str(i % 5), "name": f"Branch {i % 5}"},
            "contact": {
                "firstName": "Person",
                "lastName": str(i),
                "email": f"person{i}.{run}@example.com",
            },
        }
        for i in range(count)
    ]
