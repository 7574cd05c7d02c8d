"""Alembic migrations of the WildTrace database (run by ``wildtrace.store.db.migrate``)."""
