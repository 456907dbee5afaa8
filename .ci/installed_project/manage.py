#!/usr/bin/env python
"""A small shop of its own (``store``: categories, products, a session cart, orders) that
follows the README's "Adding the app to your shop" and docs/adapter.md: CI installs the built
wheel into a clean virtualenv and runs this project with it (no source tree); smoke.py walks
the steps."""
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
