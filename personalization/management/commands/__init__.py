"""The app's commands: explain, and more to come."""
