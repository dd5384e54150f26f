from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "liaison.partners"
    label = "partners"
    verbose_name = "Partners: organisations and people"
