"""OpenAPI examples of the document endpoints (ERP_PAYLOADS §11a–§11c).

The API tests post these same bodies, so every documented example is known to work.
"""

from __future__ import annotations

from typing import Any

SUPPLIER_INVOICE_READ: dict[str, Any] = {
    "documentType": "Invoice",
    "referenceNumber": "004711",
    "status": "Balanced",
    "hold": False,
    "approvalStatus": "SentToApproval",
    "date": "2025-03-03T00:00:00",
    "dueDate": "2025-04-02T00:00:00",
    "supplier": {"internalId": 2871, "number": "50012", "name": "Kontorrekvisita AS"},
    "supplierReference": "F-88812",
    "description": "Office supplies March",
    "currencyId": "NOK",
    "detailTotal": 1000.0,
    "vatTotal": 250.0,
    "amount": 1250.0,
    "branchNumber": {"number": "1", "name": "Demo Company AS"},
    "invoiceLines": [
        {
            "lineNumber": 1,
            "transactionDescription": "Printer paper A4",
            "quantity": 10,
            "uom": "PCS",
            "unitCostInCurrency": 60.0,
            "costInCurrency": 600.0,
            "account": {"number": "6800", "description": "Office supplies"},
            "subaccount": {
                "subaccountNumber": "20-100",
                "subaccountId": 17,
                "segments": [
                    {"segmentId": 1, "segmentValue": "20"},
                    {"segmentId": 2, "segmentValue": "100"},
                ],
            },
            "vatCode": {"id": "HIGH", "description": "Input VAT 25%"},
            "project": {"id": "P1001", "description": "Office move"},
            "projectTask": {"id": "01", "description": "Furniture & supplies"},
        },
        {
            "lineNumber": 2,
            "transactionDescription": "Toner",
            "quantity": 2,
            "unitCostInCurrency": 200.0,
            "costInCurrency": 400.0,
            "account": {"number": "6800", "description": "Office supplies"},
            "subaccount": {
                "subaccountNumber": "30-000",
                "segments": [
                    {"segmentId": 1, "segmentValue": "30"},
                    {"segmentId": 2, "segmentValue": "000"},
                ],
            },
            "project": None,
            "projectTask": None,
        },
    ],
    "initialApprover": "E0007",
    "sender": "E0042",
}

SUPPLIER_INVOICE_WRITE: dict[str, Any] = {
    "documentType": {"value": "Invoice"},
    "referenceNumber": {"value": "004712"},
    "supplierNumber": {"value": "50012"},
    "date": {"value": "2025-03-03T00:00:00"},
    "currencyId": {"value": "NOK"},
    "amount": {"value": 750.0},
    "vatAmount": {"value": 150.0},
    "invoiceLines": [
        {
            "operation": "Insert",
            "accountNumber": {"value": "6800"},
            "subaccount": [
                {"segmentId": 1, "segmentValue": "20"},
                {"segmentId": 2, "segmentValue": "100"},
            ],
            "projectId": {"value": "P1001"},
            "projectTaskId": {"value": "01"},
            "quantity": {"value": 10},
            "unitCostInCurrency": {"value": 60.0},
            "vatCodeId": {"value": "HIGH"},
        }
    ],
}

EXPENSE_CLAIM_READ: dict[str, Any] = {
    "refNbr": "EC000231",
    "status": "PendingApproval",
    "date": "2025-03-10T00:00:00",
    "description": "Customer visit Bergen",
    "claimedBy": {"internalId": "1043", "number": "E0042", "name": "Kari Nordmann"},
    "department": {"id": "SALES", "description": "Sales"},
    "currency": "NOK",
    "claimTotal": 1450.0,
    "vatTaxableTotal": 1294.64,
    "vatExemptTotal": 0.0,
    "details": [
        {
            "claimDetailId": 1,
            "date": "2025-03-09T00:00:00",
            "expenseItem": {"number": "HOTEL", "description": "Hotel"},
            "description": "Hotel 1 night",
            "quantity": 1,
            "unitCost": 1450.0,
            "claimAmount": 1450.0,
            "amountInClaimCurr": 1450.0,
            "currency": "NOK",
            "expenseAccount": {"number": "7140", "description": "Travel, lodging"},
            "expenseSubaccount": {"id": "20-100", "description": "Sales / Oslo"},
            "branch": {"number": "1", "name": "Demo Company AS"},
            "project": {"id": "P1001", "description": "Office move"},
            "projectTask": {"id": "01", "description": "Furniture & supplies"},
            "taxCategory": {"number": "LOW", "description": "12% (hotel)"},
            "approver": "E0007",
        }
    ],
}

TIME_CARD_READ: dict[str, Any] = {
    "refNbr": "TC000118",
    "status": "Open",
    "type": "Normal",
    "week": {"number": "202511", "description": "10.03.2025 - 16.03.2025"},
    "employee": {"internalId": "1043", "number": "E0042", "name": "Kari Nordmann"},
    "timeSpent": 2250,
    "overtimeSpent": 0,
    "totalTimeSpent": 2250,
    "summary": [
        {
            "lineNumber": 1,
            "earningType": {"code": "RG", "description": "Regular"},
            "project": {"id": "P1001", "description": "Office move"},
            "projectTask": {"id": "02", "description": "Planning"},
            "mon": 450,
            "tue": 450,
            "wed": 0,
            "thu": 0,
            "fri": 0,
            "sat": 0,
            "sun": 0,
            "timeSpent": 900,
            "description": "Layout planning",
            "approver": "E0007",
        },
        {
            "lineNumber": 2,
            "earningType": {"code": "RG", "description": "Regular"},
            "project": {"id": "INTERN", "description": "Internal"},
            "projectTask": {"id": "ADM", "description": "Administration"},
            "mon": 0,
            "tue": 0,
            "wed": 450,
            "thu": 450,
            "fri": 450,
            "sat": 0,
            "sun": 0,
            "timeSpent": 1350,
            "description": "Admin",
        },
    ],
}

RECEIVED = {
    "id": "3f2b8c1e-5d4a-4e7b-9c0d-1a2b3c4d5e6f",
    "status": "received",
    "erpReference": "004711",
    "url": "https://signoff.example.com/api/v1/documents/3f2b8c1e-5d4a-4e7b-9c0d-1a2b3c4d5e6f",
}

_DOCUMENT_ID = "3f2b8c1e-5d4a-4e7b-9c0d-1a2b3c4d5e6f"

DOCUMENT_DETAIL: dict[str, Any] = {
    "id": _DOCUMENT_ID,
    "url": RECEIVED["url"],
    "type": "purchase_invoice",
    "erpDocumentType": "Invoice",
    "erpReference": "004711",
    "status": "in_progress",
    "approvalStatus": "InProgressApproval",
    "statusText": "",
    "version": 2,
    "currency": "NOK",
    "grossAmount": "1250.00",
    "netAmount": "1000.00",
    "vatAmount": "250.00",
    "description": "Office supplies March",
    "documentDate": "2025-03-03",
    "dueDate": "2025-04-02",
    "requester": "E0042",
    "initialApprover": "E0007",
    "sender": "E0042",
    "supplier": {"number": "50012", "name": "Kontorrekvisita AS"},
    "branch": "1",
    "department": "",
    "receivedAt": "2025-03-03T08:15:03Z",
    "updatedAt": "2025-03-03T08:15:05Z",
    "processNumber": 1,
    "currentStep": {"position": 1, "name": "Cost unit owner", "status": "active"},
    "openTasks": [
        {
            "step": 1,
            "assignee": "E0007",
            "onBehalfOf": None,
            "status": "active",
            "kind": "approval",
            "dueDate": "2025-03-10",
            "lineNumbers": [],
        }
    ],
    "steps": [
        {
            "position": 1,
            "name": "Cost unit owner",
            "status": "active",
            "decisions": [],
            "lineDecisions": [],
        },
        {
            "position": 2,
            "name": "Controller",
            "status": "planned",
            "decisions": [],
            "lineDecisions": [],
        },
    ],
    "lines": [
        {
            "lineNumber": 1,
            "description": "Printer paper A4",
            "quantity": "10.0000",
            "amount": "600.00",
            "account": "6800",
            "subaccount": "20-100",
            "segments": {"1": "20", "2": "100"},
            "department": "",
            "project": "P1001",
            "projectTask": "01",
            "branch": "",
            "edited": False,
        }
    ],
    "editedLines": [],
    "comments": [
        {
            "author": "E0007",
            "authorName": "Ola Hansen (E0007)",
            "text": "Checked against order 4500012.",
            "createdAt": "2025-03-03T09:00:00Z",
            "processNumber": 1,
        }
    ],
    "attachments": [],
}

DOCUMENT_LIST: dict[str, Any] = {
    "results": [
        {
            "id": _DOCUMENT_ID,
            "url": RECEIVED["url"],
            "type": "purchase_invoice",
            "erpDocumentType": "Invoice",
            "erpReference": "004711",
            "status": "in_progress",
            "approvalStatus": "InProgressApproval",
            "currency": "NOK",
            "grossAmount": "1250.00",
            "receivedAt": "2025-03-03T08:15:03Z",
            "updatedAt": "2025-03-03T08:15:05Z",
        }
    ],
    "next": "https://signoff.example.com/api/v1/documents?cursor=WyIyMDI1LTAzLTAzVDA4OjE1OjA1WiIsIDQyXQ",
}

DOCUMENT_HISTORY: dict[str, Any] = {
    "id": _DOCUMENT_ID,
    "events": [
        {
            "at": "2025-03-03T08:15:03Z",
            "action": "documents.document.receive",
            "actor": "ERP (Visma.net)",
            "onBehalfOf": "",
            "processNumber": None,
            "data": {"erp_reference": "004711", "lines": 2},
        }
    ],
}

ATTACHMENT: dict[str, Any] = {
    "id": 17,
    "filename": "F-88812.pdf",
    "contentType": "application/pdf",
    "size": 48213,
    "createdAt": "2025-03-03T08:15:04Z",
    "url": "https://signoff.example.com/api/v1/documents/"
    f"{_DOCUMENT_ID}/attachments/17",
}

OPEN_PROCESS_CONFLICT: dict[str, Any] = {
    "type": "urn:signoff:problem:open_process",
    "title": "Conflict",
    "status": 409,
    "detail": "This document is already in approval; cancel it before sending it again.",
    "code": "open_process",
    "existingId": _DOCUMENT_ID,
    "existingStatus": "in_progress",
}

KEY_REUSED: dict[str, Any] = {
    "type": "urn:signoff:problem:idempotency_key_reused",
    "title": "Unprocessable Entity",
    "status": 422,
    "detail": (
        "This Idempotency-Key was already used with a different request body; use a "
        "new key for a different submission."
    ),
    "code": "idempotency_key_reused",
}

FINISHED_CONFLICT: dict[str, Any] = {
    "type": "urn:signoff:problem:finished",
    "title": "Conflict",
    "status": 409,
    "detail": "The document is already approved and can no longer be cancelled.",
    "code": "finished",
    "documentStatus": "approved",
}

ATTACHMENT_TOO_LARGE: dict[str, Any] = {
    "type": "urn:signoff:problem:attachment_too_large",
    "title": "Request Entity Too Large",
    "status": 413,
    "detail": "An attachment may be at most 20971520 bytes.",
    "code": "attachment_too_large",
    "maxBytes": 20971520,
}

ATTACHMENT_TYPE: dict[str, Any] = {
    "type": "urn:signoff:problem:unsupported_attachment_type",
    "title": "Unsupported Media Type",
    "status": 415,
    "detail": "Only PDF, PNG and JPEG files can be attached.",
    "code": "unsupported_attachment_type",
}
