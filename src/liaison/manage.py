"""The `liaison` command: Django's management commands, with Liaison's settings."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.config.settings.local")
    from django.core.management import execute_from_command_line

    argv = sys.argv[:]
    argv[0] = "liaison"
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")  # `liaison import-referrals` runs the import_referrals command
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
