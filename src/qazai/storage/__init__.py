"""Metadata database (SQLAlchemy + Alembic), content-addressed object store, durable job queue."""
