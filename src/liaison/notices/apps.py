from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "liaison.notices"
    label = "notices"
    verbose_name = "Notices and the outbox"

    def ready(self):
        from liaison.notices import events  # noqa: F401
