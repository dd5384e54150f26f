from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "liaison.referrals"
    label = "referrals"
    verbose_name = "Referrals: intake and scrutiny"

    def ready(self):
        from liaison.referrals import events  # noqa: F401
