"""Co-purchase counts ("frequently bought together"), rebuilt set-based from the orders."""

from __future__ import annotations

from django.db import connections, router, transaction

from personalization.adapters import get_adapter
from personalization.models import ProductAffinity


def rebuild_product_affinities() -> int:
    """Replace :class:`ProductAffinity` with the number of orders containing each pair of
    products, computed by one aggregation query over the adapter's ``orders()``.

    Readers see the old counts until the new ones are committed. Returns the number of pairs.
    """
    adapter = get_adapter()
    orders = adapter.orders()
    if orders is None:
        return 0
    product = adapter.order_fields.product
    db = router.db_for_write(ProductAffinity)
    pairs = (orders.using(db).order_by().filter(**{f"{product}__isnull": False})
             .values_list("pk", product).distinct())
    pairs_sql, params = pairs.query.get_compiler(db).as_sql()
    connection = connections[db]
    table = connection.ops.quote_name(ProductAffinity._meta.db_table)
    with transaction.atomic(using=db), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")
        cursor.execute(
            f"WITH pairs (order_id, product_id) AS ({pairs_sql}) "
            f"INSERT INTO {table} (product_id, other_id, count) "
            f"SELECT a.product_id, b.product_id, COUNT(*) FROM pairs a JOIN pairs b "
            f"ON a.order_id = b.order_id AND a.product_id <> b.product_id "
            f"GROUP BY a.product_id, b.product_id", params)
        cursor.execute(f"SELECT COUNT(*) FROM {table}")  # (rowcount is -1 on SQLite here)
        return cursor.fetchone()[0]
