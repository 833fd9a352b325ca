"""Approver setup pages under `/c/<company code>/setup/` (see `orgunits.views`)."""

from django.urls import path

from orgunits import views

app_name = "orgunits"

urlpatterns = [
    path("", views.setup_home, name="home"),
    path("roles/", views.role_list, name="role_list"),
    path("roles/new/", views.role_edit, name="role_create"),
    path("roles/<int:pk>/", views.role_edit, name="role_edit"),
    path("roles/<int:pk>/delete/", views.role_delete, name="role_delete"),
    path("cost-unit-types/", views.cost_unit_type_list, name="cost_unit_types"),
    path(
        "cost-unit-types/order/", views.cost_unit_type_move, name="cost_unit_type_move"
    ),
    path(
        "cost-unit-types/<int:pk>/",
        views.cost_unit_type_edit,
        name="cost_unit_type_edit",
    ),
    path("combinations/", views.combination_list, name="combination_list"),
    path("combinations/new/", views.combination_edit, name="combination_create"),
    path("combinations/<int:pk>/", views.combination_edit, name="combination_edit"),
    path(
        "combinations/<int:pk>/delete/",
        views.combination_delete,
        name="combination_delete",
    ),
    path("substitutes/", views.substitution_list, name="substitution_list"),
    path("substitutes/new/", views.substitution_create, name="substitution_create"),
    path(
        "substitutes/<int:pk>/end/",
        views.substitution_end_view,
        name="substitution_end",
    ),
    path("due-dates/", views.due_dates, name="due_dates"),
    path("due-dates/defaults/", views.due_defaults_save, name="due_defaults_save"),
    path("due-dates/holidays/new/", views.holiday_create, name="holiday_create"),
    path(
        "due-dates/holidays/<int:pk>/delete/",
        views.holiday_delete,
        name="holiday_delete",
    ),
]

# Department, project and branch approvers and requester exceptions share their views.
for kind, segment in (
    ("department", "departments"),
    ("project", "projects"),
    ("branch", "branches"),
    ("exception", "exceptions"),
):
    urlpatterns += [
        path(f"{segment}/", views.assignment_list, {"kind": kind}, name=f"{kind}_list"),
        path(
            f"{segment}/new/",
            views.assignment_edit,
            {"kind": kind},
            name=f"{kind}_create",
        ),
        path(
            f"{segment}/<int:pk>/",
            views.assignment_edit,
            {"kind": kind},
            name=f"{kind}_edit",
        ),
        path(
            f"{segment}/<int:pk>/delete/",
            views.assignment_delete_view,
            {"kind": kind},
            name=f"{kind}_delete",
        ),
    ]
