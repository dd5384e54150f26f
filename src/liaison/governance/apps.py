from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "liaison.governance"
    label = "governance"
    verbose_name = "Governance: contacts, issues log, agreements, meetings, engagement"
