"""Alembic revisions, one module per schema change, oldest first by `down_revision`."""
