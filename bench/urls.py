"""The production URLs plus the two reference points of issue 8 (bench only)."""

from django.urls import path

from approval_site.urls import urlpatterns as production_urlpatterns
from bench import reference

urlpatterns = [
    *production_urlpatterns,
    path("bench/ref/invoices", reference.InvoiceCreateView.as_view()),
    path("bench/ref/rows", reference.rows_page),
]
