from django.apps import AppConfig


class RemittanceConfig(AppConfig):
    name = "liaison.remittance"
    label = "remittance"
    verbose_name = "Remittance: monthly repayments to LAs"

    def ready(self):
        from liaison.remittance import events  # noqa: F401
