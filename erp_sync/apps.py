from django.apps import AppConfig


class ErpSyncConfig(AppConfig):
    name = "erp_sync"

    def ready(self) -> None:
        # Registers the deployment checks.
        from erp_sync import checks  # noqa: F401
