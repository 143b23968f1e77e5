#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "confsite.settings")
    # A developer's shell has no SECRET_KEY: treat it as the local demo (DEBUG on) rather than refuse
    # `makemigrations` and friends. Deployments set SECRET_KEY, so DEBUG stays as their environment says;
    # the web server (confsite.wsgi) never takes this default.
    if "SECRET_KEY" not in os.environ:
        os.environ.setdefault("DEBUG", "true")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
