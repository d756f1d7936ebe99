"""Server logging: plain messages on stderr; access-log lines are JSON already."""

from __future__ import annotations

import logging
import sys


def configure_logging(level: str) -> None:
    """Route aweigh's and uvicorn's loggers to stderr at ``level`` (each worker calls it).

    Log records skip the process, thread and multiprocessing lookups the plain messages
    never print (a per-request cost on the access log).
    """
    logging.logProcesses = False
    logging.logThreads = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    numeric = getattr(logging, level.upper(), logging.INFO)
    for name in ("aweigh", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(numeric)
        logger.propagate = False
