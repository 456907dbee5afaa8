"""Where the events a page records wait before a flush writes them into ``Event`` rows: one
small interface (``base.EventBuffer``) and a backend each for a process's memory, any
Django cache and a Redis list. ``measurement.events`` chooses one by the ``EVENT_BUFFER``
setting."""
