from django.apps import AppConfig


class ErpSyncConfig(AppConfig):
    name = "erp_sync"

    def ready(self) -> None:
        # Registers the deployment checks.
        from erp_sync import checks  # noqa: F401

        # The demo ERP's client (demo mode only). erp_sync comes after documents in
        # INSTALLED_APPS, so this loader runs after the demo documents are loaded.
        from erp_sync.demo import load_demo_erp
        from orgunits.demo import register_demo_loader

        register_demo_loader(load_demo_erp)
