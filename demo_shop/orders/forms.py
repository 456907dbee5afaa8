"""Forms of the cart and checkout."""

from django import forms
from django.utils.translation import gettext_lazy as _


class AddToCartForm(forms.Form):
    product_id = forms.IntegerField(widget=forms.HiddenInput)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=999, initial=1)


class UpdateCartForm(forms.Form):
    product_id = forms.IntegerField(widget=forms.HiddenInput)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=0, max_value=999)


class DiscountForm(forms.Form):
    code = forms.CharField(label=_("Discount code"), max_length=40, required=False)


class CheckoutForm(forms.Form):
    name = forms.CharField(label=_("Full name"), max_length=200)
    email = forms.EmailField(label=_("Email"))
    address = forms.CharField(
        label=_("Delivery address"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000
    )
    discount_code = forms.CharField(
        label=_("Discount code"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
