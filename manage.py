#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "internal.settings")
    from internal.local_env import load_local_env

    load_local_env()  # .env.local from scripts/start.sh: secret key and DEBUG for this machine
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
