"""Server-side personalization for Django shops."""

__version__ = "0.1.0"
