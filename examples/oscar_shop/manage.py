#!/usr/bin/env python
"""The django-oscar example shop (see README.md here)."""
import os
import sys
from pathlib import Path

if __name__ == "__main__":
    # The app from this checkout, without installing it.
    sys.path.insert(1, str(Path(__file__).resolve().parents[2]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oscar_shop.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
