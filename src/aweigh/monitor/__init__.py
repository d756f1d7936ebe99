"""Watching served models: drift, live quality from delayed labels, fairness, anomalies, alerts.

A domain package: it computes on data handed to it (Arrow tables, numpy arrays, pandas
frames, sketches) and does no I/O of its own; ``aweigh.lifecycle.monitoring`` reads the
event log and stores what these modules compute.
"""
