"""PII detectors: one precise pattern per kind, a checksum where the kind has one.

Every :class:`Detector` has a ``pattern`` that both engines run with the same meaning:
RE2 (through ``pyarrow.compute``, linear time by construction) for whole columns in
:mod:`aweigh.privacy.scan`, and Python's ``re`` (with ``re.ASCII``) for single values
here. Patterns use no lookaround and no backreference (RE2 has neither). Every
repetition is bounded, and the few quantified groups -- ``(?:[ -]?\\d){m,n}`` in phone
numbers, ``(?:h{1,4}:){m,n}`` in IPv6, ``(?: ?[A-Z0-9]{4}){m,n}`` in IBAN -- can match a
given text in only one way (each turn ends on a required character that the optional
part cannot take), so Python's backtracking stays bounded at each position and a search
is linear too. ``tests/privacy`` times every pattern in both engines on hostile
100 KB strings.

:func:`classify` names the kind of a whole cell: the first detector, in the order of
:data:`DETECTORS` (most specific first), whose pattern matches the whole stripped
value and whose check passes. :func:`detect` finds the spans of every kind in free
text: each pattern is searched with boundaries (no letter or digit may touch a match:
``AAPFU0939F`` inside ``27AAPFU0939F1ZV`` is not a PAN; Python adds them as one-character
lookarounds, RE2 as ``(?:^|[^...])`` around the pattern, which finds the same values),
the check runs on each span, and overlapping spans are resolved longest first, then
most specific.

Dates of birth are found only in a column whose name says so (``dob``, ``birth_date``,
``DateOfBirth``...): pass ``column=`` to :func:`classify`; :func:`detect` never
reports them. Names of people and places need a statistical model: when the optional
``presidio_analyzer`` package and an installed spaCy model are both present,
:func:`detect` adds ``person`` and ``location`` spans from it; otherwise
:func:`names_supported` says why not, and nothing pretends to find names. aweigh never
downloads a model.

Known limits (each a choice for precision over recall):

- phone: E.164 needs the ``+``; Indian mobiles are 10 digits from 6-9 with an optional
  ``+91``/``91``/``0``; parentheses, landlines and national formats of other countries
  are not found. Any 10-digit number starting 6-9 is a phone (about 40% of random
  10-digit ids).
- card: 13-19 digits plain, 4-4-4-4(-3) or 4-6-5 groups, an issuer prefix and Luhn;
  about 4% of random 16-digit numbers pass both. In free text a card followed by more
  digit groups is read as one longer number and fails.
- aadhaar: plain or 4-4-4 with spaces or dashes. iban: upper case, compact or in groups
  of 4, only the countries of :data:`~aweigh.privacy.checksums.IBAN_LENGTHS`.
- ipv4 in free text also fires on version strings such as ``1.2.3.4``; ipv6 without
  embedded IPv4 (``::ffff:1.2.3.4``) or zone ids, and hex words joined by ``::`` read
  as IPv6.
- email: ASCII only (no internationalised addresses), a TLD of 2-24 letters.
- pan, voter_id, indian_passport, vehicle_registration, gstin: upper case only;
  plates need a state code, a 1-2 digit district, 1-3 series letters and 4 digits (or
  the BH series); PAN's check letter is unpublished, so PAN is format only.
- us_ssn: with dashes or spaces only (9 bare digits would be any number).
- date_of_birth: ISO (optionally with a time) or d/m/Y with ``/``, ``-`` or ``.``; years
  1900-2099, days up to 31 in any month (no calendar check).
"""

from __future__ import annotations

import bisect
import functools
import importlib.metadata
import importlib.util
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from aweigh.core.errors import InvalidInputError, MissingDependencyError
from aweigh.privacy.checksums import gstin_valid, iban_valid, luhn_valid, verhoeff_valid

__all__ = [
    "DETECTORS",
    "KINDS",
    "NAMES_NOT_DETECTED",
    "Detector",
    "Match",
    "NamesSupport",
    "classify",
    "detect",
    "detector",
    "is_dob_column",
    "names_supported",
]

_WORD = "0-9A-Za-z"


@dataclass(frozen=True)
class Detector:
    """One kind of PII: its rule, and how to find it in a cell or in free text.

    ``pattern`` is RE2- and ``re``-compatible and matches the value itself (no
    anchors, no boundaries). ``validate`` checks a matched text (a checksum or a
    format rule the pattern cannot say). ``column_hint`` lists the compact column-name
    fragments that make a name-based kind apply. ``left`` and ``right`` are the
    character-class bodies that may not touch a match in free text.
    """

    kind: str
    description: str
    pattern: str
    validate: Callable[[str], bool] | None = None
    column_hint: tuple[str, ...] = ()
    left: str = _WORD
    right: str = _WORD

    @functools.cached_property
    def whole(self) -> re.Pattern[str]:
        """The pattern for ``fullmatch`` on one value."""
        return re.compile(self.pattern, re.ASCII)

    @functools.cached_property
    def search(self) -> re.Pattern[str]:
        """The pattern with boundaries, for searching free text."""
        return re.compile(rf"(?<![{self.left}])(?:{self.pattern})(?![{self.right}])", re.ASCII)

    @property
    def arrow_whole(self) -> str:
        """RE2 pattern matching a whole (trimmed) value."""
        return f"^(?:{self.pattern})$"

    @property
    def arrow_search(self) -> str:
        """RE2 pattern true exactly where :attr:`search` finds a span (before checks)."""
        return f"(?:^|[^{self.left}])(?:{self.pattern})(?:$|[^{self.right}])"

    def matches(self, value: str) -> bool:
        """Whether the whole of ``value`` (already stripped) is this kind."""
        if self.whole.fullmatch(value) is None:
            return False
        return self.validate is None or self.validate(value)


@dataclass(frozen=True, slots=True)
class Match:
    """A span of free text that holds one kind of PII (``text[start:end] == value``)."""

    kind: str
    start: int
    end: int
    value: str


# --- patterns ----------------------------------------------------------------------------

_CARD = (
    r"\d{13,19}"
    r"|\d{4}[ -]\d{4}[ -]\d{4}[ -]\d{1,4}(?:[ -]\d{3})?"
    r"|\d{4}[ -]\d{6}[ -]\d{4,5}"
)
#: issuer prefixes: Visa 4; Mastercard 51-55, 2221-2720; Maestro 50, 56-58, 6; Amex 34,
#: 37; Diners 30, 36, 38, 39; JCB 35; Discover 6011, 644-65; UnionPay 62; RuPay 60, 65,
#: 81, 82, 508
CARD_IIN = r"^(?:4|5[0-8]|2[2-7]|3[0456789]|6|8[12])"
_CARD_IIN = re.compile(CARD_IIN)

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = rf"{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}"
_H = "[0-9A-Fa-f]{1,4}"
_IPV6 = "|".join(
    [
        rf"(?:{_H}:){{7}}{_H}",
        rf"(?:{_H}:){{1,7}}:",
        rf"(?:{_H}:){{1,6}}:{_H}",
        rf"(?:{_H}:){{1,5}}(?::{_H}){{1,2}}",
        rf"(?:{_H}:){{1,4}}(?::{_H}){{1,3}}",
        rf"(?:{_H}:){{1,3}}(?::{_H}){{1,4}}",
        rf"(?:{_H}:){{1,2}}(?::{_H}){{1,5}}",
        rf"{_H}:(?::{_H}){{1,6}}",
        rf":(?:(?::{_H}){{1,7}}|:)",
    ]
)
_EMAIL = r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9][A-Za-z0-9.-]{0,252}\.[A-Za-z]{2,24}"
#: what an email-shaped text may not hold: two dots in a row, a dot at the start of the
#: local part or right before the @, a hyphen next to a dot in the domain
EMAIL_INVALID = r"\.\.|^\.|\.@|-\.|\.-"
_EMAIL_INVALID = re.compile(EMAIL_INVALID)
_PHONE = r"\+[1-9](?:[ -]?\d){7,14}|(?:\+91[ -]?|91[ -]?|0)?[6-9](?:[ -]?\d){9}"
_AADHAAR = r"[2-9]\d{11}|[2-9]\d{3} \d{4} \d{4}|[2-9]\d{3}-\d{4}-\d{4}"
_PAN = r"[A-Z]{3}[ABCFGHJLPT][A-Z]\d{4}[A-Z]"
_EPIC = r"[A-Z]{3}\d{7}"
_PASSPORT = r"[A-PR-WY]\d{7}"
_GSTIN = rf"(?:0[1-9]|[12]\d|3[0-8]){_PAN}[1-9A-Z]Z[0-9A-Z]"
_IBAN = r"[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?"
_STATES = (
    "AN|AP|AR|AS|BR|CG|CH|DD|DL|DN|GA|GJ|HP|HR|JH|JK|KA|KL|LA|LD|MH|ML|MN|MP|MZ|NL|OD|OR"
    "|PB|PY|RJ|SK|TG|TN|TR|TS|UK|UP|WB"
)
_PLATE = (
    rf"(?:{_STATES})[ -]?\d{{1,2}}[ -]?[A-Z]{{1,3}}[ -]?\d{{4}}"
    r"|\d{2}[ -]?BH[ -]?\d{4}[ -]?[A-Z]{1,2}"
)
_SSN_AREA = r"(?:00[1-9]|0[1-9]\d|[1-578]\d\d|6[0-57-9]\d|66[0-57-9])"
_SSN_GROUP = r"(?:0[1-9]|[1-9]\d)"
_SSN_SERIAL = r"(?:000[1-9]|00[1-9]\d|0[1-9]\d\d|[1-9]\d{3})"
_SSN = "|".join(f"{_SSN_AREA}{s}{_SSN_GROUP}{s}{_SSN_SERIAL}" for s in ("-", " "))
_DAY = r"(?:0[1-9]|[12]\d|3[01])"
_MONTH = r"(?:0[1-9]|1[0-2])"
_YEAR = r"(?:19|20)\d{2}"
_DOB = "|".join(
    [
        rf"{_YEAR}-{_MONTH}-{_DAY}(?:[ T]\d{{2}}:\d{{2}}(?::\d{{2}})?)?",
        rf"{_YEAR}/{_MONTH}/{_DAY}",
        *(rf"(?:[1-9]|{_DAY}){s}(?:[1-9]|{_MONTH}){s}{_YEAR}" for s in ("/", "-", r"\.")),
    ]
)
_DOB_HINTS = ("dob", "dateofbirth", "birthdate", "birthday", "dayofbirth", "bornon")


def _digits(text: str) -> str:
    return text.replace(" ", "").replace("-", "")


def _card_valid(text: str) -> bool:
    digits = _digits(text)
    return _CARD_IIN.match(digits) is not None and luhn_valid(digits)


def _email_valid(text: str) -> bool:
    return _EMAIL_INVALID.search(text) is None


def _iban_valid(text: str) -> bool:
    return iban_valid(text.replace(" ", ""))


def _aadhaar_valid(text: str) -> bool:
    return verhoeff_valid(_digits(text))


DETECTORS: tuple[Detector, ...] = (
    Detector(
        "gstin",
        "Indian GSTIN: state code 01-38, a PAN, entity digit, Z, mod-36 check character",
        _GSTIN,
        gstin_valid,
    ),
    Detector("iban", "IBAN (ISO 13616): country length and mod 97-10", _IBAN, _iban_valid),
    Detector("card", "payment card: 13-19 digits, issuer prefix, Luhn", _CARD, _card_valid),
    Detector(
        "aadhaar",
        "Aadhaar: 12 digits, the first 2-9, Verhoeff check (4-4-4 groups allowed)",
        _AADHAAR,
        _aadhaar_valid,
    ),
    Detector("us_ssn", "US SSN AAA-GG-SSSS, never-issued ranges excluded", _SSN),
    Detector(
        "email", "email address", _EMAIL, _email_valid, left=_WORD + "._%+-", right=_WORD + "-"
    ),
    Detector(
        "ipv6", "IPv6 address, full or compressed", _IPV6, left=_WORD + ":", right=_WORD + ":"
    ),
    Detector("ipv4", "IPv4 address, each octet 0-255", _IPV4, left=_WORD + "."),
    Detector("pan", "Indian PAN: 5 letters (the 4th the holder type), 4 digits, a letter", _PAN),
    Detector("voter_id", "Indian voter ID (EPIC): 3 letters and 7 digits", _EPIC),
    Detector("vehicle_registration", "Indian vehicle registration plate", _PLATE),
    Detector("indian_passport", "Indian passport: a letter (not Q, X, Z) and 7 digits", _PASSPORT),
    Detector(
        "phone",
        "phone: E.164 (+ and 8-15 digits) or Indian mobile ([+91|91|0] and 10 digits, 6-9 first)",
        _PHONE,
        left=_WORD + "+",
    ),
    Detector(
        "date_of_birth",
        "date (ISO or d/m/Y) in a column named like a date of birth",
        _DOB,
        column_hint=_DOB_HINTS,
    ),
)
KINDS: tuple[str, ...] = tuple(d.kind for d in DETECTORS)
_BY_KIND = {d.kind: d for d in DETECTORS}
_FREE_TEXT = tuple(d for d in DETECTORS if not d.column_hint)
_PRIORITY = {kind: i for i, kind in enumerate(KINDS)}
#: kinds whose whole-value patterns overlap: a value of both is the first (checked) kind
OVERLAPS: dict[str, tuple[str, ...]] = {"phone": ("aadhaar",)}


def detector(kind: str) -> Detector:
    """The detector of ``kind``; ``InvalidInputError`` names the known kinds."""
    try:
        return _BY_KIND[kind]
    except KeyError:
        raise InvalidInputError(
            f"Unknown PII kind {kind!r}; use one of {list(KINDS)}.", {"kind": kind}
        ) from None


def is_dob_column(name: str) -> bool:
    """Whether a column name reads like a date of birth (``dob``, ``birth_date``,
    ``DateOfBirth``, ``customer_DOB``...)."""
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", str(name)).lower()
    tokens = [t for t in re.split(r"[^a-z0-9]+", words) if t]
    compact = "".join(tokens)
    return "dob" in tokens or any(h in compact for h in _DOB_HINTS if h != "dob")


def classify(value: str | bytes, *, column: str | None = None) -> str | None:
    """The kind of PII a whole cell holds, or ``None``.

    Surrounding whitespace is ignored; bytes are decoded as UTF-8 with replacement
    characters. ``date_of_birth`` is considered only when ``column`` is named like one.
    """
    text = _text(value).strip(" \t\n\r\x0b\x0c")
    if not text:
        return None
    dob = column is not None and is_dob_column(column)
    for found in DETECTORS:
        if found.column_hint and not dob:
            continue
        if found.matches(text):
            return found.kind
    return None


def detect(text: str | bytes, *, names: bool = True) -> list[Match]:
    """Every PII span in free text, in order, without overlaps.

    Each span passed its kind's check; where spans overlap the longest wins, then the
    most specific kind (the order of :data:`DETECTORS`). With ``names`` (and
    :func:`names_supported`), ``person`` and ``location`` spans come from presidio.
    """
    value = _text(text)
    found = _candidates(value, _FREE_TEXT)
    if names and names_supported():
        found.extend(_name_spans(value))
    return _resolve(found, value)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "replace")
    raise InvalidInputError(
        f"PII detection takes text; got {type(value).__name__}. Convert it with str(value)."
    )


_Span = tuple[int, int, int, str]  # start, end, priority, kind


def _candidates(text: str, detectors: Iterable[Detector]) -> list[_Span]:
    found: list[_Span] = []
    for det in detectors:
        rank = _PRIORITY[det.kind]
        for hit in det.search.finditer(text):
            if det.validate is None or det.validate(hit.group()):
                found.append((hit.start(), hit.end(), rank, det.kind))
    return found


def _resolve(found: list[_Span], text: str) -> list[Match]:
    if not found:
        return []
    found.sort(key=lambda s: (s[0] - s[1], s[2], s[0]))  # longest, most specific, first
    starts: list[int] = []
    kept: list[_Span] = []  # sorted by start, pairwise disjoint
    for span in found:
        start, end = span[0], span[1]
        at = bisect.bisect_left(starts, start)
        if at < len(kept) and kept[at][0] < end:
            continue
        if at > 0 and kept[at - 1][1] > start:
            continue
        starts.insert(at, start)
        kept.insert(at, span)
    return [Match(kind, start, end, text[start:end]) for start, end, _, kind in kept]


def _detect_with(text: str, detectors: Iterable[Detector]) -> list[Match]:
    """:func:`detect` restricted to ``detectors``, without names."""
    return _resolve(_candidates(text, detectors), text)


# --- names and locations (optional: presidio + an installed spaCy model) ----------------

NAMES_NOT_DETECTED = (
    "names and locations are not detected (install aweigh[presidio] and a spaCy model)"
)
_SPACY_MODELS = ("en_core_web_lg", "en_core_web_md", "en_core_web_sm", "en_core_web_trf")
_NAME_KINDS = {"PERSON": "person", "LOCATION": "location"}


@dataclass(frozen=True)
class NamesSupport:
    """Whether names and locations can be detected, and why (true only when both
    presidio and a spaCy model are installed)."""

    supported: bool
    reason: str
    model: str | None = None

    def __bool__(self) -> bool:
        return self.supported


@functools.cache
def names_supported() -> NamesSupport:
    """Whether :func:`detect` finds names and locations (presidio and a spaCy model
    installed, checked without importing either and without any download)."""
    if importlib.util.find_spec("presidio_analyzer") is None:
        return NamesSupport(False, f"{NAMES_NOT_DETECTED}: presidio-analyzer is not installed")
    for model in _SPACY_MODELS:
        if importlib.util.find_spec(model) is None:
            continue
        try:  # presidio downloads a model that is not an installed package: never let it
            importlib.metadata.distribution(model)
        except importlib.metadata.PackageNotFoundError:
            continue
        return NamesSupport(True, f"names and locations come from presidio ({model})", model)
    return NamesSupport(False, f"{NAMES_NOT_DETECTED}: no spaCy model is installed")


@functools.cache
def _names_analyzer() -> Any:
    support = names_supported()
    if not support or support.model is None:
        raise MissingDependencyError(support.reason)
    # a model that is installed needs no network; make sure nothing tries
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        os.environ.setdefault(name, "1")
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    config = {
        "nlp_engine_name": "spacy",
        "models": [{"lang_code": "en", "model_name": support.model}],
    }
    engine = NlpEngineProvider(nlp_configuration=config).create_engine()
    return AnalyzerEngine(nlp_engine=engine, supported_languages=["en"])


def _name_spans(text: str) -> list[_Span]:
    results = _names_analyzer().analyze(text=text, entities=list(_NAME_KINDS), language="en")
    rank = len(KINDS)  # after every structured kind
    return [
        (int(r.start), int(r.end), rank, _NAME_KINDS[r.entity_type])
        for r in results
        if r.entity_type in _NAME_KINDS and r.end > r.start
    ]
