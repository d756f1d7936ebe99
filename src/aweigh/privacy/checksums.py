"""Check-digit rules of the identifiers the detectors find, as small pure functions.

Each rule comes twice: a scalar function on one string (the reference, used by
:func:`aweigh.privacy.detectors.detect` and in tests), and a numpy twin on a matrix of
character codes, one row per value (used by :func:`aweigh.privacy.scan.scan_table` so
that a million candidates cost milliseconds, not seconds). The tests pin that the two
always agree.

The scalar functions take the characters the rule is defined on (digits only for Luhn
and Verhoeff, the compact upper-case form for IBAN and GSTIN); a value with any other
character is simply not valid, never an error.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = [
    "IBAN_LENGTHS",
    "gstin_check_char",
    "gstin_valid",
    "gstin_valid_array",
    "iban_check_digits",
    "iban_valid",
    "iban_valid_array",
    "luhn_check_digit",
    "luhn_valid",
    "luhn_valid_array",
    "verhoeff_check_digit",
    "verhoeff_valid",
    "verhoeff_valid_array",
]

_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_VALUE = {c: i for i, c in enumerate(_ALNUM)}
#: byte -> value (0-9 for digits, 10-35 for A-Z); -1 for anything else
_BYTE_VALUE = np.full(256, -1, dtype=np.int64)
for _i, _c in enumerate(_ALNUM):
    _BYTE_VALUE[ord(_c)] = _i
#: a digit's contribution when Luhn doubles it
_LUHN_DOUBLED = np.array([0, 2, 4, 6, 8, 1, 3, 5, 7, 9], dtype=np.uint8)


# --- Luhn (ISO/IEC 7812-1, Annex B) ------------------------------------------------------


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check of ISO/IEC 7812-1 Annex B, used by payment cards.

    From the rightmost digit (the check digit) leftwards, every second digit is
    doubled and 9 subtracted when the double exceeds 9; the sum must be a multiple of
    10. ``"4111111111111111"`` is valid, ``"4111111111111112"`` is not.
    """
    if not digits or not digits.isascii() or not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def luhn_check_digit(payload: str) -> str:
    """The digit that makes ``payload + digit`` pass :func:`luhn_valid`."""
    for digit in "0123456789":
        if luhn_valid(payload + digit):
            return digit
    raise ValueError(f"not a digit string: {payload!r}")


def luhn_valid_array(digits: np.ndarray) -> np.ndarray:
    """:func:`luhn_valid` of each row of an ``(n, w)`` matrix of digit values (0-9),
    right-aligned and padded with zeros on the left (leading zeros do not change the
    sum)."""
    values = np.asarray(digits, dtype=np.uint8)
    doubled = (np.arange(values.shape[1])[::-1] % 2).astype(bool)  # every 2nd from the right
    contributions = values.copy()
    contributions[:, doubled] = _LUHN_DOUBLED[values[:, doubled]]
    return np.asarray(contributions.sum(axis=1, dtype=np.int64) % 10 == 0)


# --- Verhoeff (dihedral group D5; used by Aadhaar) --------------------------------------

_D = np.array(
    [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
        [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
        [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
        [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
        [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
        [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
        [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
        [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
        [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
    ],
    dtype=np.int64,
)
_P = np.array(
    [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
        [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
        [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
        [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
        [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
        [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
        [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
    ],
    dtype=np.int64,
)
_INV = (0, 4, 3, 2, 1, 5, 6, 7, 8, 9)
_D_LIST = _D.tolist()
_D_FLAT = _D.ravel().astype(np.intp)
_P_LIST = _P.tolist()


def verhoeff_valid(digits: str) -> bool:
    """The Verhoeff check (J. Verhoeff, 1969; dihedral group D5), used by Aadhaar.

    With ``c = 0`` and the digits read right to left (``i`` from 0),
    ``c = d[c][p[i mod 8][digit]]``; the number is valid when ``c`` ends at 0. It
    catches every single-digit error and every swap of adjacent digits.
    """
    if not digits or not digits.isascii() or not digits.isdigit():
        return False
    check = 0
    for position, char in enumerate(reversed(digits)):
        check = _D_LIST[check][_P_LIST[position % 8][ord(char) - 48]]
    return check == 0


def verhoeff_check_digit(payload: str) -> str:
    """The digit that makes ``payload + digit`` pass :func:`verhoeff_valid`."""
    if payload and not (payload.isascii() and payload.isdigit()):
        raise ValueError(f"not a digit string: {payload!r}")
    check = 0
    for position, char in enumerate(reversed(payload)):
        check = _D_LIST[check][_P_LIST[(position + 1) % 8][ord(char) - 48]]
    return str(_INV[check])


def verhoeff_valid_array(digits: np.ndarray) -> np.ndarray:
    """:func:`verhoeff_valid` of each row of an ``(n, w)`` matrix of digit values (every
    row exactly ``w`` digits long: padding would change the result)."""
    values = np.asarray(digits, dtype=np.uint8)
    check = np.zeros(len(values), dtype=np.intp)
    width = values.shape[1]
    for position in range(width):
        check = _D_FLAT[check * 10 + _P[position % 8][values[:, width - 1 - position]]]
    return np.asarray(check == 0)


# --- IBAN (ISO 13616, mod 97-10 of ISO 7064) --------------------------------------------

#: IBAN lengths of the countries in the SWIFT IBAN registry that are met most often
IBAN_LENGTHS: Mapping[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22,
    "BH": 22, "BR": 29, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18,
    "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22,
    "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22,
    "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28,
    "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22,
    "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28,
    "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SC": 31, "SE": 24,
    "SI": 19, "SK": 24, "SM": 27, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22,
    "VG": 24, "XK": 20,
}  # fmt: skip


def iban_valid(iban: str) -> bool:
    """The IBAN check of ISO 13616: a known country code, that country's length, and
    mod 97-10 (ISO 7064) equal to 1 once the first four characters are moved to the end
    and each letter is replaced by two digits (A=10 ... Z=35).

    Takes the compact form (no spaces): ``"GB82WEST12345698765432"`` is valid.
    A country missing from :data:`IBAN_LENGTHS` is not valid.
    """
    if IBAN_LENGTHS.get(iban[:2]) != len(iban) or not iban[2:4].isdigit():
        return False
    remainder = 0
    for char in iban[4:] + iban[:4]:
        value = _VALUE.get(char)
        if value is None:
            return False
        remainder = (remainder * (100 if value > 9 else 10) + value) % 97
    return remainder == 1


def iban_check_digits(country: str, bban: str) -> str:
    """The two check digits that make ``country + digits + bban`` a valid IBAN."""
    remainder = 0
    for char in bban + country + "00":
        value = _VALUE[char]
        remainder = (remainder * (100 if value > 9 else 10) + value) % 97
    return f"{98 - remainder:02d}"


def iban_valid_array(chars: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """:func:`iban_valid` but for the country's length, for each row of an ``(n, w)``
    matrix of byte codes, left-aligned; ``lengths`` gives each row's length (the caller
    checks it against :data:`IBAN_LENGTHS`)."""
    count, width = chars.shape
    lengths = lengths.astype(np.int64)
    if count == 0:
        return np.zeros(0, dtype=bool)
    columns = np.arange(width)
    rotated = (columns[None, :] + 4) % np.maximum(lengths, 1)[:, None]  # first 4 last
    values = _BYTE_VALUE[np.take_along_axis(chars, rotated, axis=1)]
    remainder = np.zeros(count, dtype=np.int64)
    bad = np.zeros(count, dtype=bool)
    for column in range(width):
        active = column < lengths
        value = values[:, column]
        bad |= active & (value < 0)
        step = (remainder * np.where(value > 9, 100, 10) + value) % 97
        remainder = np.where(active, step, remainder)
    if width < 5:
        return np.zeros(count, dtype=bool)
    check = _BYTE_VALUE[chars[:, 2:4].astype(np.int64)]
    check_digits = ((check >= 0) & (check <= 9)).all(axis=1)
    return np.asarray((remainder == 1) & ~bad & check_digits & (lengths >= 5))


# --- GSTIN (India; mod 36 check character) ----------------------------------------------


def gstin_check_char(first14: str) -> str:
    """The 15th character of a GSTIN (Goods and Services Tax Identification Number).

    Each of the first 14 characters has a value (0-9, A=10 ... Z=35) and a weight
    alternating 1, 2, 1, 2, ... from the left; each product ``v * w`` adds
    ``v * w // 36 + v * w % 36`` to a sum, and the check character is the one whose
    value is ``(36 - sum % 36) % 36``.
    """
    total = 0
    for position, char in enumerate(first14):
        product = _VALUE[char] * (2 if position % 2 else 1)
        total += product // 36 + product % 36
    return _ALNUM[(36 - total % 36) % 36]


def gstin_valid(gstin: str) -> bool:
    """A 15-character GSTIN whose last character is :func:`gstin_check_char` of the
    first 14 (the format is the detector's pattern; this checks only the sum)."""
    if len(gstin) != 15 or any(c not in _VALUE for c in gstin):
        return False
    return gstin_check_char(gstin[:14]) == gstin[14]


def gstin_valid_array(chars: np.ndarray) -> np.ndarray:
    """:func:`gstin_valid` for each row of an ``(n, 15)`` matrix of byte codes."""
    values = _BYTE_VALUE[chars.astype(np.int64)]
    weights = np.where(np.arange(14) % 2, 2, 1)
    products = values[:, :14] * weights[None, :]
    total = (products // 36 + products % 36).sum(axis=1)
    ok = (values >= 0).all(axis=1)
    return np.asarray(ok & ((36 - total % 36) % 36 == values[:, 14]))
