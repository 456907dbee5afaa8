"""What this shop knows that Oscar does not: business customers and their sales reps."""

from django.conf import settings
from django.db import models
from phonenumber_field.modelfields import PhoneNumberField


class SalesRep(models.Model):
    name = models.CharField(max_length=100)
    mobile = PhoneNumberField()
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                null=True, blank=True, related_name="sales_rep_login")

    def __str__(self) -> str:
        return self.name


class Account(models.Model):
    """A business customer's account; the adapter finds the order's rep through it."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="account")
    company = models.CharField(max_length=100)
    sales_rep = models.ForeignKey(SalesRep, on_delete=models.SET_NULL, null=True, blank=True)

    def __str__(self) -> str:
        return self.company
