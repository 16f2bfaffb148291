"""Persistence: SQLAlchemy 2 tables and repositories per feature, Alembic migrations.

SQLite is the default (a file; WAL, foreign keys on); PostgreSQL is chosen by URL alone.
Storage never reads settings: it gets its URL as an argument.
"""
