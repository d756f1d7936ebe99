"""The SQL metadata store (SQLite by default, PostgreSQL to scale out)."""
