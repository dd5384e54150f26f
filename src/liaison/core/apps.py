from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "liaison.core"
    label = "core"
    verbose_name = "Core: cases and their timeline"

    def ready(self) -> None:
        from liaison.core import lookups  # noqa: F401 (registers field__any)
