"""The demo shop: a small real shop on which every personalization feature is shown."""
