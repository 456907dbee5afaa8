"""Signals: what the shop tells personalization, and what personalization tells the shop."""

from django.dispatch import Signal

#: Sent by the shop (or its adapter) when an order is placed.
#: Arguments: ``order`` (the shop's object), ``user`` (or None), ``request`` (or None),
#: ``value`` (Decimal order total), ``reference`` (order number, str).
order_placed = Signal()

#: Sent after a computed segment's refresh, with ``segment`` and ``user_ids`` (a set).
segment_entered = Signal()
segment_exited = Signal()

#: Inside the app: sent after commit when a sales rep's SMS should go to a worker, with
#: ``notification``; the jobs subsystem enqueues the task (see jobs/receivers.py).
rep_alert_due = Signal()

#: Inside the app: a journey message is due (``message``); the jobs subsystem enqueues it.
journey_message_due = Signal()

#: Inside the app: sent after commit when a batch of events waits to be written, so the
#: jobs subsystem schedules a flush.
events_waiting = Signal()
