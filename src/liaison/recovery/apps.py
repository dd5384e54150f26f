from django.apps import AppConfig


class RecoveryConfig(AppConfig):
    name = "liaison.recovery"
    label = "recovery"
    verbose_name = "Recovery: debts and rates"

    def ready(self):
        from liaison.recovery import events  # noqa: F401
