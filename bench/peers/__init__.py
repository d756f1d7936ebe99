"""Peer-side scripts and the workload both sides share.

``workload.py`` needs only the standard library, pandas and scikit-learn, so the
peer scripts can import it from inside their own virtualenvs.
"""
