from django.core.management.base import BaseCommand

from liaison.web.demo import DEMO_PASSWORD, PEOPLE, demo_load


class Command(BaseCommand):
    help = "Load the demo data set (people in every role, a benefit register, referrals with every outcome)."

    def handle(self, *args, **options):
        result = demo_load()
        if not result["created"]:
            self.stdout.write("Demo data already loaded.")
            return
        self.stdout.write(f"Demo referrals: {result['outcomes']}")
        self.stdout.write(f"API token for Leeds' system (shown once): {result['api_token']}")
        self.stdout.write(f"Demo sign-ins (password {DEMO_PASSWORD}): " + ", ".join(p.username for p in PEOPLE))
