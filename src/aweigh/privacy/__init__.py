"""Privacy by default: PII detectors, masking and table scans.

- :mod:`aweigh.privacy.detectors`: one :class:`Detector` per kind of PII (pattern and
  checksum), :func:`classify` for a whole cell, :func:`detect` for free text.
- :mod:`aweigh.privacy.checksums`: Luhn, Verhoeff, IBAN mod 97, GSTIN.
- :mod:`aweigh.privacy.masking`: :func:`mask` and :func:`mask_text`, keeping shape.
- :mod:`aweigh.privacy.scan`: :func:`scan_table`, which columns hold which kinds.

Redaction policies, erasure receipts and retention live in their own modules of this
package. Everything here computes on the values handed to it and does no I/O.
"""

from __future__ import annotations

from aweigh.privacy.detectors import (
    DETECTORS,
    KINDS,
    Detector,
    Match,
    NamesSupport,
    classify,
    detect,
    detector,
    names_supported,
)
from aweigh.privacy.masking import mask, mask_text
from aweigh.privacy.scan import ColumnFinding, ScanReport, scan_table

__all__ = [
    "DETECTORS",
    "KINDS",
    "ColumnFinding",
    "Detector",
    "Match",
    "NamesSupport",
    "ScanReport",
    "classify",
    "detect",
    "detector",
    "mask",
    "mask_text",
    "names_supported",
    "scan_table",
]
