"""Alembic migrations of the store's schema, run by `monitor.store` (no alembic.ini).

`Store.open` upgrades to head; `monitor.store.upgrade_schema` and
`downgrade_schema` move to any revision. A new migration is a file in
`versions/` named ``NNNN_what.py`` with ``revision = "NNNN"`` and
``down_revision`` the previous one; keep `monitor.store`'s tables in step
(tests/test_store_migrations.py compares the two).
"""
