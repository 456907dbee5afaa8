"""Server-side personalization for Django shops."""

__version__ = "0.2.0"
