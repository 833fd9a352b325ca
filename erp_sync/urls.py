"""The administrators' ERP pages, under `/c/<company code>/erp/`."""

from django.urls import path

from erp_sync.views import clients, deliveries

app_name = "erp_sync"

urlpatterns = [
    path("", clients.client_list, name="client_list"),
    path("clients/new/", clients.client_create, name="client_create"),
    path(
        "clients/<int:client_id>/revoke/", clients.client_revoke, name="client_revoke"
    ),
    path(
        "clients/<int:client_id>/rotate/", clients.client_rotate, name="client_rotate"
    ),
    path(
        "clients/<int:client_id>/enable-callback/",
        clients.client_callback_enable,
        name="client_callback_enable",
    ),
    path("deliveries/", deliveries.delivery_list, name="delivery_list"),
    path(
        "deliveries/<int:event_id>/",
        deliveries.delivery_detail,
        name="delivery_detail",
    ),
    path(
        "deliveries/redeliver/",
        deliveries.delivery_redeliver,
        name="delivery_redeliver",
    ),
]
