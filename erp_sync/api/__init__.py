"""The ERP-facing REST API (ERP_API.md), mounted at /api/v1/."""
