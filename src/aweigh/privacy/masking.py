"""Masking that keeps a value's shape: ``2345 6789 0123`` -> ``XXXX XXXX 0123``.

Every masked character becomes ``X`` (letters and digits alike); every other character
(spaces, dashes, dots, ``+``, ``@``, ``:``) stays where it was, so a masked value has
the length and layout of the original and still reads as what it was. What stays
visible, by kind:

- most kinds (card, Aadhaar, phone, PAN, passport, voter ID, GSTIN, plate, SSN): the
  last 4 letters or digits, when the value has at least 8 of them; a shorter value is
  masked whole. ``+91 98765 43210`` -> ``+XX XXXXX X3210``.
- ``email``: the domain; every letter and digit of the local part is masked
  (``john.doe@example.com`` -> ``XXXX.XXX@example.com``). The domain says which
  organisation or provider, which analyses need, and alone it names no one; no
  letter of the local part is shown because its first letters are often initials.
- ``iban``: the country code and the last 4 (``DE89 3704 ...`` -> ``DEXX XXXX ...``).
- ``ipv4``: the first two octets (the network), ``192.168.12.34`` -> ``192.168.XX.XX``;
  ``ipv6``: the first two groups (the /32 routing prefix).
- ``date_of_birth``: the year (``1990-05-17`` -> ``1990-XX-XX``).
- ``person``, ``location``: nothing.

``mask_text`` masks every span :func:`~aweigh.privacy.detectors.detect` finds in free
text and leaves the rest of the text as it was.
"""

from __future__ import annotations

import re

from aweigh.privacy.detectors import detect, detector

__all__ = ["mask", "mask_text"]

_KEEP_LAST = 4
_YEAR = re.compile(r"(?<![0-9])(?:19|20)[0-9]{2}(?![0-9])")
_NAME_KINDS = ("person", "location")


def mask(kind: str, value: str) -> str:
    """``value`` (of PII kind ``kind``) masked, with its length and separators kept.

    Raises ``InvalidInputError`` for an unknown kind (naming the known ones).
    """
    if kind not in _NAME_KINDS:
        detector(kind)  # unknown kinds are refused
    if kind == "email" and "@" in value:
        local, _, domain = value.rpartition("@")
        return _mask_all(local) + "@" + domain
    if kind == "ipv4":
        return _keep_fields(value, ".", 2)
    if kind == "ipv6":
        return _keep_fields(value, ":", 2)
    if kind == "date_of_birth":
        year = _YEAR.search(value)
        if year is None:
            return _mask_all(value)
        return _mask_all(value[: year.start()]) + year.group() + _mask_all(value[year.end() :])
    if kind in _NAME_KINDS:
        return _mask_all(value)
    if kind == "iban":
        return value[:2] + _keep_last(value[2:], minimum=_KEEP_LAST + 1)
    return _keep_last(value)


def mask_text(text: str) -> str:
    """``text`` with every detected PII span replaced by its :func:`mask`."""
    matches = detect(text)
    if not matches:
        return text
    parts: list[str] = []
    at = 0
    for found in matches:
        parts.append(text[at : found.start])
        parts.append(mask(found.kind, found.value))
        at = found.end
    parts.append(text[at:])
    return "".join(parts)


def _mask_all(text: str) -> str:
    return "".join("X" if c.isalnum() else c for c in text)


def _keep_last(text: str, minimum: int = 2 * _KEEP_LAST) -> str:
    """Mask every letter and digit but the last 4, when there are ``minimum`` or more."""
    shown = sum(1 for c in text if c.isalnum())
    if shown < minimum:
        return _mask_all(text)
    keep_from = shown - _KEEP_LAST
    out: list[str] = []
    seen = 0
    for char in text:
        if char.isalnum():
            out.append(char if seen >= keep_from else "X")
            seen += 1
        else:
            out.append(char)
    return "".join(out)


def _keep_fields(text: str, separator: str, keep: int) -> str:
    fields = text.split(separator)
    return separator.join(fields[:keep] + [_mask_all(f) for f in fields[keep:]])
