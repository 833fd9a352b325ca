"""/demo-erp/ (demo mode only): the demo ERP's page, its send buttons and its callback.

The page and the buttons are the demo company's administrators' (`company_view` with
the demo company's code); the callback is the ERP's endpoint, open and signature-checked.
"""

from django.urls import path

from erp_sync import demo_views
from orgunits.demo import COMPANY_CODE

app_name = "demo_erp"

_DEMO = {"company_code": COMPANY_CODE}

urlpatterns = [
    path("", demo_views.demo_erp_page, _DEMO, name="page"),
    path("send/<slug:kind>", demo_views.demo_erp_send, _DEMO, name="send"),
    path("callback", demo_views.demo_erp_callback, name="callback"),
]
