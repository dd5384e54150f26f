from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    name = "liaison.casework"
    label = "casework"
    verbose_name = "Casework: changes of circumstances, complaints and MP enquiries, sequences of events"

    def ready(self):
        from liaison.casework import events  # noqa: F401
