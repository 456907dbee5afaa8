#!/usr/bin/env python
"""The smallest shop that follows the README's "Adding the app to your shop": CI installs
the built wheel into a clean virtualenv and runs this project with it (no source tree)."""
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
