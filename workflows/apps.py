from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "workflows"

    def ready(self) -> None:
        # orgunits must not import workflows: the demo loader registers itself instead.
        from orgunits.demo import register_demo_loader
        from workflows.demo import load_demo_workflows

        register_demo_loader(load_demo_workflows)
