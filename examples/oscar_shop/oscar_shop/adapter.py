"""The shop's adapter: Oscar's, plus where this shop keeps a customer's sales rep."""

from personalization.contrib.oscar.adapter import OscarCommerceAdapter


class ShopAdapter(OscarCommerceAdapter):
    sales_rep_attribute = "account.sales_rep"
