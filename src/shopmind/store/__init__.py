"""The canonical, shop-scoped store (SQLite by default, PostgreSQL in production)."""

from shopmind.store.core import ShopStore, Store, UpsertResult, open_store

__all__ = ["ShopStore", "Store", "UpsertResult", "open_store"]
