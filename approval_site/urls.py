from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from core import health
from core import views as core_views

admin.site.site_header = "Signoff administration"
admin.site.site_title = "Signoff"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password-reset/",
        core_views.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path(
        "accounts/password/",
        core_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("i18n/language/", core_views.language_set, name="set_language"),
    path("", core_views.home, name="home"),
    path("", include("documents.urls")),
    path("django-admin/", admin.site.urls),
    path("api/v1/", include("erp_sync.api.urls")),
    path("c/<slug:company_code>/workflows/", include("workflows.urls")),
    path("c/<slug:company_code>/simulator/", include("documents.simulator_urls")),
    path("c/<slug:company_code>/erp/", include("erp_sync.urls")),
    path("c/<slug:company_code>/admin/", include("documents.admin_urls")),
    path("c/<slug:company_code>/setup/", include("orgunits.urls")),
]
if settings.SIGNOFF_DEMO_MODE:
    # The demo ERP (`make run`): sends samples through the real API, receives the pushes.
    urlpatterns.append(path("demo-erp/", include("erp_sync.demo_urls")))
# Media (attachments) is never served as static files, not even in DEBUG: the only route
# to a file is documents' attachment view, which checks who may see the document.
