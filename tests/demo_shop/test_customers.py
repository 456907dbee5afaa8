"""Customers: login, accounts with several users, sales reps and their E.164 mobile numbers."""

import pytest
from django.urls import reverse

from demo_shop.customers.models import Account, SalesRep, is_b2b_user
from tests.factories import AccountFactory, CustomerProfileFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_login_greets_by_first_name_and_logout(client, customer):
    response = client.post(reverse("login"), {"username": "anna", "password": "demo"}, follow=True)
    assert "Hello Anna" in response.content.decode()
    response = client.post(reverse("logout"), follow=True)
    assert "Hello Anna" not in response.content.decode()
    assert "Log in" in response.content.decode()


def test_wrong_password_is_refused(client, customer):
    response = client.post(reverse("login"), {"username": "anna", "password": "nope"})
    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated


def test_business_account_with_several_users(farmer):
    account = Account.objects.get(name="Hoeve De Vries")
    colleague = UserFactory(username="marieke")
    CustomerProfileFactory(user=colleague, account=account)
    assert set(account.users().values_list("username", flat=True)) == {"jan", "marieke"}
    assert is_b2b_user(farmer) and is_b2b_user(colleague)
    assert account.sales_rep.name == "Pieter Mulder"


def test_consumers_are_not_business_users(customer):
    other = UserFactory()
    CustomerProfileFactory(user=other, account=AccountFactory(kind=Account.Kind.B2C))
    assert not is_b2b_user(customer)
    assert not is_b2b_user(other)
    assert not is_b2b_user(UserFactory())  # no profile at all


def _add_rep(client, mobile):
    return client.post(
        reverse("admin:customers_salesrep_add"),
        {"name": "Sanne de Boer", "mobile": mobile, "email": "sanne@example.com"},
    )


def test_admin_rejects_an_invalid_mobile_number(admin_client):
    response = _add_rep(admin_client, "12345")
    assert response.status_code == 200
    assert "Enter a valid phone number" in response.content.decode()
    assert not SalesRep.objects.exists()


def test_admin_stores_mobile_numbers_in_e164(admin_client):
    response = _add_rep(admin_client, "+32 470 12 34 56")
    assert response.status_code == 302
    assert SalesRep.objects.get().mobile.as_e164 == "+32470123456"


def test_admin_lists_render(admin_client, shop, farmer):
    for name in ("customers_salesrep", "customers_account", "customers_customerprofile",
                 "catalog_product", "catalog_category", "orders_order", "orders_discountcode",
                 "auth_user"):
        assert admin_client.get(reverse(f"admin:{name}_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:auth_user_change", args=[farmer.pk])).status_code == 200
