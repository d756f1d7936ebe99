"""Drift detectors, one per module, and ``compare(reference, current)``."""
