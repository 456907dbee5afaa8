"""Adapters and integrations for other shops (django-oscar)."""
