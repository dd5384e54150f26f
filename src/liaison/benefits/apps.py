from django.apps import AppConfig


class BenefitsConfig(AppConfig):
    name = "liaison.benefits"
    label = "benefits"
    verbose_name = "Benefit register (CIS stand-in)"
