"""Helpers shared by the demo shop's tests."""

from django.urls import reverse

CHECKOUT_DATA = {
    "name": "Anna Jansen",
    "email": "anna@example.com",
    "address": "Dorpsstraat 1\n3511 Utrecht",
    "discount_code": "",
    "action": "place",
}


def add_to_cart(client, product, quantity=1):
    return client.post(
        reverse("cart_add"), {"product_id": product.pk, "quantity": quantity}, follow=True
    )


def checkout(client, **data):
    return client.post(reverse("checkout"), {**CHECKOUT_DATA, **data}, follow=True)


def page_messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]
