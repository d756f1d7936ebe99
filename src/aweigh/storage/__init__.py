"""Storage: metadata stores (memory, SQL) and artifact stores (local, fsspec)."""
