"""django-oscar support: ``personalization.contrib.oscar.adapter.OscarCommerceAdapter``."""
