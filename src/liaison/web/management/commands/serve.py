"""Run Liaison on one machine: the web server and the task worker together, until Ctrl-C."""

import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from liaison.web.demo import DEMO_PASSWORD, PEOPLE


class Command(BaseCommand):
    help = "Run the web server, the task worker and the scheduler together (the embedded default)."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000")

    def handle(self, *args, addr, **options):
        base = [sys.executable, "-m", "liaison.manage"]
        web = subprocess.Popen([*base, "runserver", addr, "--noreload", "--skip-checks"])
        worker = subprocess.Popen([*base, "db_worker", "--no-reload", "--interval", "1"])
        scheduler = subprocess.Popen([*base, "scheduler"])
        host, _, port = addr.rpartition(":")
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Liaison is running at http://{host or '127.0.0.1'}:{port}/"))
        self.stdout.write(f"Database: {settings.DATABASES['default']['NAME']}; e-mail goes to {settings.EMAIL_FILE_PATH}")
        self.stdout.write(f"Sign in with any of these (password {DEMO_PASSWORD}):")
        for p in PEOPLE:
            self.stdout.write(f"  {p.username:<20} {p.role.label}")
        self.stdout.write("Press Ctrl-C to stop.")
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping and all(p.poll() is None for p in (web, worker, scheduler)):
                time.sleep(0.5)
        finally:
            for proc in (web, worker, scheduler):
                if proc.poll() is None:
                    proc.terminate()
            for proc in (web, worker, scheduler):
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
        if not stopping:
            self.stderr.write("The web server or the worker stopped unexpectedly.")
            sys.exit(1)
