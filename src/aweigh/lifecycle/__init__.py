"""Lifecycle services: duties that span stores (privacy requests now; retraining later)."""
