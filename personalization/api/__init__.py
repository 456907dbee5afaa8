"""The REST API: the app's second front door, next to the template tags, over the same
decision path (the only package that imports Django REST framework)."""
