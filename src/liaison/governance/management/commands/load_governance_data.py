from django.core.management.base import BaseCommand

from liaison.governance.reference import issue_categories_load


class Command(BaseCommand):
    help = ("Load the issues log's categories and their escalation routes (SLA Appendix 3 §3.3) from "
            "governance/data/issue_categories.json. Re-runnable: it updates, never duplicates.")

    def handle(self, *args, **options):
        self.stdout.write(f"Issue categories: {issue_categories_load()} loaded")
