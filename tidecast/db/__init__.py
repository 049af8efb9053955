"""Data layer: SQLAlchemy Core tables, engine construction and Alembic migrations."""
