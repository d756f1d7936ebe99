"""Data guardrails: contracts, online and batch validation with quarantine, profiles,
dataset versions. Domain layer: computes on data handed to it and does no I/O of its
own beyond reading and writing the files it is explicitly given."""
