from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "documents"

    def ready(self) -> None:
        # orgunits must not import documents: the demo loader registers itself. The
        # documents app comes after workflows in INSTALLED_APPS, so this loader runs
        # after the demo workflows it routes with.
        from documents.demo import load_demo_documents
        from orgunits.demo import register_demo_loader

        register_demo_loader(load_demo_documents)
