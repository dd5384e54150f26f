from django.core.management.base import BaseCommand

from liaison.benefits.services import benefits_load
from liaison.partners.services import reference_organisations_load
from liaison.recovery.services import rates_load
from liaison.referrals.services_reference import reasons_load
from liaison.sla.reference import standards_load


class Command(BaseCommand):
    help = ("Load the reference data: every Local Authority that administers Housing Benefit, DM's units and "
            "mailboxes, the benefits (prescribed ones marked), the deduction rate table and the referral reasons. "
            "Re-runnable: it updates, never duplicates.")

    def handle(self, *args, **options):
        orgs = reference_organisations_load()
        self.stdout.write(f"DM units: {orgs['dm_units']}")
        self.stdout.write(f"Local Authorities: {orgs['local_authorities']}")
        self.stdout.write(f"Benefits: {benefits_load()} loaded")
        self.stdout.write(f"Recovery rates: {rates_load()} loaded")
        self.stdout.write(f"Referral reasons: {reasons_load()} loaded")
        self.stdout.write(f"Service standards: {standards_load()}")
        from django.apps import apps

        if apps.is_installed("liaison.governance"):
            from liaison.governance.reference import issue_categories_load

            self.stdout.write(f"Issue categories (escalation routes): {issue_categories_load()} loaded")
