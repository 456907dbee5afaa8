"""Journeys: messages that bring customers back (docs/journeys.md)."""
