"""Signals of the shop's order flow."""

from django.dispatch import Signal

#: Sent once per placed order, after the transaction commits.
#: Arguments: ``sender=Order``, ``order``, ``request`` (None outside a request).
order_placed = Signal()
