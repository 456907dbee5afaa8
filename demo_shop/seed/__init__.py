"""The demo data of ``manage.py seed_demo``: catalog, people, codes and a year of orders."""
