#!/usr/bin/env python
import os
import sys


def main() -> None:
    # Development by default, for the commands a developer types; those settings refuse to
    # load with DEBUG off, so a server missing DJANGO_SETTINGS_MODULE stops here instead.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
