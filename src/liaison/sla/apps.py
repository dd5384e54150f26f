from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "liaison.sla"
    label = "sla"
    verbose_name = "SLA: service standards, clocks and performance"

    def ready(self):
        from liaison.sla import events  # noqa: F401
