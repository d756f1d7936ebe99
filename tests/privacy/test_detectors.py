"""PII detectors: checksums, every kind on generated valid and invalid values, free-text
spans, look-alike kinds, masking that keeps shape, linear time on hostile strings."""

from __future__ import annotations

import importlib.util
import ipaddress
import itertools
import re
import time
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aweigh.core.errors import InvalidInputError
from aweigh.privacy import detectors as detectors_module
from aweigh.privacy.checksums import (
    IBAN_LENGTHS,
    gstin_check_char,
    gstin_valid,
    gstin_valid_array,
    iban_check_digits,
    iban_valid,
    iban_valid_array,
    luhn_check_digit,
    luhn_valid,
    luhn_valid_array,
    verhoeff_check_digit,
    verhoeff_valid,
    verhoeff_valid_array,
)
from aweigh.privacy.detectors import (
    DETECTORS,
    KINDS,
    NAMES_NOT_DETECTED,
    OVERLAPS,
    Detector,
    Match,
    NamesSupport,
    classify,
    detect,
    detector,
    is_dob_column,
    names_supported,
)
from aweigh.privacy.masking import mask, mask_text

DIGITS = "0123456789"
UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ALNUM = DIGITS + UPPER


def digits(size: int, first: str = DIGITS) -> st.SearchStrategy[str]:
    return st.builds(
        lambda a, b: a + b,
        st.sampled_from(first),
        st.text(DIGITS, min_size=size - 1, max_size=size - 1),
    )


def change_one(value: str, alphabet: str = DIGITS) -> st.SearchStrategy[str]:
    """``value`` with one of its ``alphabet`` characters replaced by another one."""
    spots = [i for i, c in enumerate(value) if c in alphabet]
    return (
        st.tuples(st.sampled_from(spots), st.sampled_from(alphabet))
        .filter(lambda p: value[p[0]] != p[1])
        .map(lambda p: value[: p[0]] + p[1] + value[p[0] + 1 :])
    )


def group(value: str, sizes: list[int], sep: str) -> str:
    parts, at = [], 0
    for size in sizes:
        parts.append(value[at : at + size])
        at += size
    return sep.join(parts)


# --- generators of valid values, one per kind --------------------------------------------

IINS = ["4", "51", "55", "2221", "2720", "34", "37", "36", "6011", "65", "62", "60", "81", "508"]


@st.composite
def cards(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(IINS))
    size = draw(st.integers(13, 19))
    payload = (
        prefix
        + draw(st.text(DIGITS, min_size=size - 1 - len(prefix), max_size=18))[
            : size - 1 - len(prefix)
        ]
    )
    payload = payload.ljust(size - 1, "0")
    number = payload + luhn_check_digit(payload)
    if size == 16 and draw(st.booleans()):
        return group(number, [4, 4, 4, 4], draw(st.sampled_from(" -")))
    return number


@st.composite
def aadhaars(draw: st.DrawFn) -> str:
    payload = draw(digits(11, first="23456789"))
    number = payload + verhoeff_check_digit(payload)
    layout = draw(st.sampled_from(["", " ", "-"]))
    return group(number, [4, 4, 4], layout) if layout else number


@st.composite
def ibans(draw: st.DrawFn) -> str:
    country = draw(st.sampled_from(sorted(IBAN_LENGTHS)))
    bban = draw(st.text(ALNUM, min_size=IBAN_LENGTHS[country] - 4, max_size=30))
    bban = bban[: IBAN_LENGTHS[country] - 4]
    iban = country + iban_check_digits(country, bban) + bban
    if draw(st.booleans()):
        return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
    return iban


PAN_TYPES = "ABCFGHJLPT"
pans = st.builds(
    lambda a, t, b, n, c: a + t + b + n + c,
    st.text(UPPER, min_size=3, max_size=3),
    st.sampled_from(PAN_TYPES),
    st.sampled_from(UPPER),
    st.text(DIGITS, min_size=4, max_size=4),
    st.sampled_from(UPPER),
)


@st.composite
def gstins(draw: st.DrawFn) -> str:
    state = f"{draw(st.integers(1, 38)):02d}"
    body: str = state + draw(pans) + draw(st.sampled_from(ALNUM[1:])) + "Z"
    return body + gstin_check_char(body)


voter_ids = st.builds(
    lambda a, n: a + n,
    st.text(UPPER, min_size=3, max_size=3),
    st.text(DIGITS, min_size=7, max_size=7),
)
passports = st.builds(
    lambda a, n: a + n,
    st.sampled_from([c for c in UPPER if c not in "QXZ"]),
    st.text(DIGITS, min_size=7, max_size=7),
)
STATES = ["MH", "KA", "DL", "TN", "UP", "WB", "GJ", "KL", "TS", "RJ"]


@st.composite
def plates(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 4)) == 0:  # Bharat series: 22BH1234AA
        sep = draw(st.sampled_from(["", " "]))
        year = f"{draw(st.integers(21, 30))}"
        tail = draw(st.text("ABCDEFGHJKLMNPQRSTUVWXYZ", min_size=1, max_size=2))
        return sep.join([year, "BH", draw(st.text(DIGITS, min_size=4, max_size=4)), tail])
    sep = draw(st.sampled_from(["", " ", "-"]))
    district = f"{draw(st.integers(1, 99)):02d}"
    series = draw(st.text(UPPER, min_size=1, max_size=2))
    return sep.join([draw(st.sampled_from(STATES)), district, series, draw(digits(4))])


@st.composite
def ssns(draw: st.DrawFn) -> str:
    area = draw(st.integers(1, 899).filter(lambda a: a != 666))
    group_ = draw(st.integers(1, 99))
    serial = draw(st.integers(1, 9999))
    sep = draw(st.sampled_from("- "))
    return f"{area:03d}{sep}{group_:02d}{sep}{serial:04d}"


@st.composite
def phones(draw: st.DrawFn) -> str:
    mobile = draw(digits(10, first="6789"))
    layout = draw(st.integers(0, 5))
    if layout == 0:
        return mobile
    if layout == 1:
        return "+91 " + mobile[:5] + " " + mobile[5:]
    if layout == 2:
        return "0" + mobile
    if layout == 3:
        return "+91-" + mobile
    if layout == 4:
        return mobile[:5] + "-" + mobile[5:]
    return "+" + draw(digits(draw(st.integers(8, 15)), first="123456789"))


emails = st.builds(
    lambda user, host, tld: f"{user}@{host}.{tld}",
    st.from_regex(r"[a-z][a-z0-9_+]{0,10}(\.[a-z0-9]{1,6})?", fullmatch=True),
    st.from_regex(r"[a-z0-9]{1,10}(-[a-z0-9]{1,5})?", fullmatch=True),
    st.sampled_from(["com", "in", "co.in", "org", "example"]),
)
ipv4s = st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(map(str, t)))
ipv6s = (
    st.integers(1, 2**128 - 1)
    .flatmap(
        lambda n: st.sampled_from(
            [str(ipaddress.IPv6Address(n)), ipaddress.IPv6Address(n).exploded]
        )
    )
    .filter(lambda s: "." not in s)
)
dobs = st.builds(
    lambda y, m, d, form: form.format(y=y, m=m, d=d),
    st.integers(1920, 2024),
    st.integers(1, 12),
    st.integers(1, 28),
    st.sampled_from(
        ["{y}-{m:02d}-{d:02d}", "{d:02d}/{m:02d}/{y}", "{d}/{m}/{y}", "{d:02d}-{m:02d}-{y}"]
    ),
)

VALID: dict[str, st.SearchStrategy[str]] = {
    "gstin": gstins(),
    "iban": ibans(),
    "card": cards(),
    "aadhaar": aadhaars(),
    "us_ssn": ssns(),
    "email": emails,
    "ipv6": ipv6s,
    "ipv4": ipv4s,
    "pan": pans,
    "voter_id": voter_ids,
    "vehicle_registration": plates(),
    "indian_passport": passports,
    "phone": phones(),
    "date_of_birth": dobs,
}
valid_values = st.sampled_from(sorted(VALID)).flatmap(
    lambda kind: VALID[kind].map(lambda value: (kind, value))
)


# --- checksums -------------------------------------------------------------------------------


def test_checksums_accept_published_examples_and_reject_one_digit_off() -> None:
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")
    assert verhoeff_valid("2363")
    assert not verhoeff_valid("2364")
    assert iban_valid("GB82WEST12345698765432")
    assert iban_valid("DE89370400440532013000")
    assert not iban_valid("GB82WEST12345698765433")
    assert gstin_valid("27AAPFU0939F1ZV")
    assert not gstin_valid("27AAPFU0939F1ZW")


def test_checksums_are_false_not_errors_on_junk() -> None:
    for junk in ["", "abc", "12a4", "٣٤٥", " 1234"]:
        assert not luhn_valid(junk)
        assert not verhoeff_valid(junk)
        assert not iban_valid(junk)
        assert not gstin_valid(junk)
    assert not iban_valid("IN12" + "1" * 18)  # India has no IBAN


@given(st.text(DIGITS, min_size=1, max_size=18).flatmap(lambda p: st.just(p + luhn_check_digit(p))))
def test_luhn_catches_every_single_digit_error(number: str) -> None:
    assert luhn_valid(number)
    for i, old in enumerate(number):
        for new in DIGITS.replace(old, ""):
            assert not luhn_valid(number[:i] + new + number[i + 1 :])


@given(st.text(DIGITS, min_size=1, max_size=14).map(lambda p: p + verhoeff_check_digit(p)))
def test_verhoeff_catches_single_digit_errors_and_adjacent_swaps(number: str) -> None:
    assert verhoeff_valid(number)
    for i, old in enumerate(number):
        for new in DIGITS.replace(old, ""):
            assert not verhoeff_valid(number[:i] + new + number[i + 1 :])
    for i in range(len(number) - 1):
        if number[i] != number[i + 1]:
            swapped = number[:i] + number[i + 1] + number[i] + number[i + 2 :]
            assert not verhoeff_valid(swapped)


@given(ibans().map(lambda s: s.replace(" ", "")), st.data())
def test_iban_mod97_catches_a_changed_digit(iban: str, data: st.DataObject) -> None:
    """Mod 97-10 catches every changed digit (a letter turning into a digit changes the
    length of the number it stands for, and is not always caught)."""
    assert iban_valid(iban)
    assert not iban_valid(data.draw(change_one(iban, DIGITS)))


@given(gstins(), st.data())
def test_gstin_check_character_catches_a_changed_character(gstin: str, data: st.DataObject) -> None:
    assert gstin_valid(gstin)
    assert not gstin_valid(data.draw(change_one(gstin, ALNUM)))


@given(st.lists(st.text(DIGITS, min_size=12, max_size=12), min_size=1, max_size=50))
def test_vectorised_checksums_agree_with_the_scalar_ones(numbers: list[str]) -> None:
    matrix = np.array([[int(c) for c in n] for n in numbers], dtype=np.uint8)
    assert luhn_valid_array(matrix).tolist() == [luhn_valid(n) for n in numbers]
    assert verhoeff_valid_array(matrix).tolist() == [verhoeff_valid(n) for n in numbers]
    padded = np.hstack([np.zeros((len(numbers), 7), np.uint8), matrix])
    assert luhn_valid_array(padded).tolist() == [luhn_valid(n) for n in numbers]


@given(st.lists(st.one_of(gstins(), st.text(ALNUM, min_size=15, max_size=15)), min_size=1))
def test_vectorised_gstin_agrees_with_the_scalar_one(values: list[str]) -> None:
    matrix = np.frombuffer("".join(values).encode(), np.uint8).reshape(len(values), 15)
    assert gstin_valid_array(matrix).tolist() == [gstin_valid(v) for v in values]


@given(st.lists(ibans().map(lambda s: s.replace(" ", "")), min_size=1, max_size=20), st.data())
def test_vectorised_iban_agrees_with_the_scalar_one(values: list[str], data: st.DataObject) -> None:
    values = [data.draw(st.sampled_from([v, data.draw(change_one(v, ALNUM))])) for v in values]
    for value in values:
        if IBAN_LENGTHS.get(value[:2]) != len(value):
            continue  # country and length are the caller's part
        matrix = np.frombuffer(value.encode(), np.uint8).reshape(1, len(value))
        got = iban_valid_array(matrix, np.array([len(value)]))[0]
        assert got == iban_valid(value)


# --- every kind: valid values found, invalid ones not ----------------------------------------


@given(valid_values)
def test_every_generated_valid_value_is_classified_as_its_kind(pair: tuple[str, str]) -> None:
    kind, value = pair
    assert classify(value, column="date_of_birth") == kind
    assert classify(f"  {value}\t") == (None if kind == "date_of_birth" else kind)


@given(valid_values)
def test_kinds_overlap_only_where_declared(pair: tuple[str, str]) -> None:
    """The scan's per-kind passes rely on it: a value fits one kind's pattern, except
    the declared overlaps (12 digits starting 91 can be an Aadhaar or a phone)."""
    kind, value = pair
    others = {d.kind for d in DETECTORS if d.kind != kind and d.whole.fullmatch(value)}
    declared = set(OVERLAPS.get(kind, ())) | {k for k, firsts in OVERLAPS.items() if kind in firsts}
    assert others <= declared


@settings(max_examples=200)
@given(st.sampled_from(["card", "aadhaar", "iban", "gstin"]), st.data())
def test_a_checksummed_kind_with_one_character_changed_is_not_detected(
    kind: str, data: st.DataObject
) -> None:
    value = data.draw(VALID[kind])
    alphabet = ALNUM if kind == "gstin" else DIGITS
    broken = data.draw(change_one(value, alphabet))
    assert classify(broken) != kind
    assert kind not in {m.kind for m in detect(f"ref {broken} end")}


@given(aadhaars().map(lambda a: a.replace(" ", "").replace("-", "")), st.data())
def test_twelve_digits_failing_verhoeff_are_never_aadhaar(number: str, data: st.DataObject) -> None:
    broken = data.draw(change_one(number[1:])).rjust(11, "0")
    candidate = number[0] + broken
    if not verhoeff_valid(candidate):
        assert classify(candidate) != "aadhaar"
        assert classify(group(candidate, [4, 4, 4], " ")) != "aadhaar"


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("4111 1111 1111 1111", "card"),
        ("1111 1111 1111 1117", None),  # Luhn-valid, but no issuer starts with 1
        ("12345678", None),
        ("+14155552671", "phone"),
        ("+91 98765 43210", "phone"),
        ("91-9876543210", "phone"),
        ("09876543210", "phone"),
        ("5876543210", None),  # Indian mobiles start 6-9
        ("+1234567", None),  # E.164 needs 8 to 15 digits
        ("192.168.0.256", None),
        ("1.2.3", None),
        ("2001:0db8:85a3:0000:0000:8a2e:0370:7334", "ipv6"),
        ("fe80::1", "ipv6"),
        ("::1", "ipv6"),
        ("12:30:45", None),
        ("1::2::3", None),
        ("000-12-3456", None),
        ("666-12-3456", None),
        ("912-12-3456", None),
        ("123-00-3456", None),
        ("123-45-0000", None),
        ("123-45-6789", "us_ssn"),
        ("Q1234567", None),
        ("X1234567", None),
        ("J8369854", "indian_passport"),
        ("39AAPFU0939F1ZV", None),  # state code 39 does not exist
        ("a..b@example.com", None),
        ("a.b@example.com", "email"),
        ("a@-example.com", None),
        ("", None),
        ("   ", None),
    ],
)
def test_precise_rules_on_edge_values(value: str, kind: str | None) -> None:
    assert classify(value) == kind


# --- PAN vs voter ID vs number plate ---------------------------------------------------------


@given(pans)
def test_a_pan_is_a_pan_and_never_a_voter_id_or_a_plate(pan: str) -> None:
    assert classify(pan) == "pan"
    assert [m.kind for m in detect(f"PAN: {pan}.")] == ["pan"]


@given(voter_ids)
def test_a_voter_id_is_a_voter_id_and_never_a_pan_or_a_plate(epic: str) -> None:
    assert classify(epic) == "voter_id"
    assert [m.kind for m in detect(f"EPIC {epic}")] == ["voter_id"]


@given(plates())
def test_a_number_plate_is_a_plate_and_never_a_pan_or_a_voter_id(plate: str) -> None:
    assert classify(plate) == "vehicle_registration"
    assert [m.kind for m in detect(f"car {plate} parked")] == ["vehicle_registration"]


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("ABCPE1234F", "pan"),
        ("ABC1234567", "voter_id"),
        ("MH12AB1234", "vehicle_registration"),
        ("KA 01 AB 1234", "vehicle_registration"),
        ("22BH1234AA", "vehicle_registration"),
        ("DL3CAB1234", "vehicle_registration"),
        ("ABCDE1234F", None),  # 4th letter D is no PAN holder type
        ("ZZ12AB1234", None),  # ZZ is no state
        ("27AAPFU0939F1ZV", "gstin"),
    ],
)
def test_look_alike_indian_ids_are_told_apart(value: str, kind: str | None) -> None:
    assert classify(value) == kind


def test_a_pan_inside_a_gstin_is_reported_once_as_the_gstin() -> None:
    assert detect("GST no 27AAPFU0939F1ZV") == [Match("gstin", 7, 22, "27AAPFU0939F1ZV")]
    assert [m.kind for m in detect("GST no 27AAPFU0939F1ZW")] == []  # bad check, no PAN either


# --- free text ---------------------------------------------------------------------------------


def test_detect_finds_every_span_in_order_without_overlaps() -> None:
    text = (
        "Mail john.9876543210@example.com or call +91 98765 43210; card 4111-1111-1111-1111,"
        " from 10.0.0.1 and 2001:db8::1. PAN ABCPE1234F, EPIC ABC1234567, car MH12AB1234."
    )
    found = detect(text)
    assert [m.kind for m in found] == [
        "email", "phone", "card", "ipv4", "ipv6", "pan", "voter_id", "vehicle_registration"
    ]  # fmt: skip
    for m in found:
        assert text[m.start : m.end] == m.value
    assert all(a.end <= b.start for a, b in itertools.pairwise(found))


def test_detect_respects_boundaries() -> None:
    assert detect("id 41111111111111111111") == []  # 22 digits: no card inside
    assert detect("x4111111111111111") == []
    assert all(m.value != "2.3.4.5" for m in detect("v1.2.3.4.5"))
    assert [m.value for m in detect("a@b.com, c@d.org.")] == ["a@b.com", "c@d.org"]
    assert detect("born 1990-05-17") == []  # dates of birth only by column name


def test_detect_and_classify_take_bytes_and_refuse_other_types() -> None:
    assert classify(b"a@b.com") == "email"
    assert [m.kind for m in detect(b"mail \xff a@b.com")] == ["email"]
    with pytest.raises(InvalidInputError, match="takes text; got int"):
        classify(12345)  # type: ignore[arg-type]


def test_detector_lookup_names_the_known_kinds() -> None:
    assert detector("pan").kind == "pan"
    with pytest.raises(InvalidInputError, match="Unknown PII kind 'nope'; use one of"):
        detector("nope")
    assert set(KINDS) == {d.kind for d in DETECTORS}


@pytest.mark.parametrize(
    ("name", "hinted"),
    [
        ("dob", True),
        ("DOB", True),
        ("date_of_birth", True),
        ("DateOfBirth", True),
        ("customer_dob", True),
        ("birthDate", True),
        ("birthday", True),
        ("adobe", False),
        ("date", False),
        ("joined_on", False),
    ],
)
def test_date_of_birth_columns_are_known_by_name(name: str, hinted: bool) -> None:
    assert is_dob_column(name) is hinted
    assert (classify("1990-05-17", column=name) == "date_of_birth") is hinted


# --- names and locations ---------------------------------------------------------------------


def test_without_presidio_names_are_honestly_not_detected(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec

    def no_presidio(name: str, package: str | None = None) -> object:
        return None if name.startswith("presidio") else real(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", no_presidio)
    names_supported.cache_clear()
    try:
        support = names_supported()
        assert not support
        assert support.reason.startswith(NAMES_NOT_DETECTED)
        assert "presidio-analyzer is not installed" in support.reason
        assert detect("Priya Sharma lives in Pune") == []
    finally:
        names_supported.cache_clear()


class _FakeResult:
    def __init__(self, entity_type: str, start: int, end: int) -> None:
        self.entity_type, self.start, self.end = entity_type, start, end


class _FakeAnalyzer:
    def analyze(self, text: str, entities: list[str], language: str) -> list[_FakeResult]:
        assert language == "en"
        assert set(entities) == {"PERSON", "LOCATION"}
        return [_FakeResult("PERSON", 0, 12), _FakeResult("LOCATION", 22, 26)]


def test_with_presidio_names_and_places_join_the_spans(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        detectors_module, "names_supported", lambda: NamesSupport(True, "fake", "en_fake")
    )
    monkeypatch.setattr(detectors_module, "_names_analyzer", _FakeAnalyzer)
    text = "Priya Sharma lives in Pune, priya@example.com"
    assert [(m.kind, m.value) for m in detect(text)] == [
        ("person", "Priya Sharma"),
        ("location", "Pune"),
        ("email", "priya@example.com"),
    ]
    assert detect(text, names=False)[0].kind == "email"
    assert mask_text(text) == "XXXXX XXXXXX lives in XXXX, XXXXX@example.com"


# --- masking -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value", "masked"),
    [
        ("aadhaar", "2345 6789 0123", "XXXX XXXX 0123"),
        ("card", "4111-1111-1111-1111", "XXXX-XXXX-XXXX-1111"),
        ("phone", "+91 98765 43210", "+XX XXXXX X3210"),
        ("email", "john.doe@example.com", "XXXX.XXX@example.com"),
        ("ipv4", "192.168.12.34", "192.168.XX.XX"),
        ("ipv6", "2001:db8::8a2e:370:7334", "2001:db8::XXXX:XXX:XXXX"),
        ("iban", "DE89 3704 0044 0532 0130 00", "DEXX XXXX XXXX XXXX XX30 00"),
        ("pan", "ABCPE1234F", "XXXXXX234F"),
        ("indian_passport", "J8369854", "XXXX9854"),
        ("us_ssn", "123-45-6789", "XXX-XX-6789"),
        ("date_of_birth", "17/05/1990", "XX/XX/1990"),
        ("phone", "1234567", "XXXXXXX"),  # too short to show anything
        ("person", "Priya Sharma", "XXXXX XXXXXX"),
    ],
)
def test_mask_keeps_shape_and_the_last_four_where_sensible(
    kind: str, value: str, masked: str
) -> None:
    assert mask(kind, value) == masked


def test_mask_refuses_an_unknown_kind() -> None:
    with pytest.raises(InvalidInputError, match="Unknown PII kind 'shoe_size'"):
        mask("shoe_size", "42")


@given(valid_values)
def test_mask_keeps_length_and_separators_in_place(pair: tuple[str, str]) -> None:
    kind, value = pair
    masked = mask(kind, value)
    assert len(masked) == len(value)
    for original, new in zip(value, masked, strict=True):
        if not original.isalnum():
            assert new == original
    digits_in = sum(c.isdigit() for c in value)
    if kind not in ("email", "ipv4", "ipv6", "date_of_birth") and digits_in >= 8:
        assert sum(c.isdigit() for c in masked) <= 4


def test_mask_text_masks_spans_and_keeps_the_rest() -> None:
    text = "Call 9876543210 or mail asha@example.in about card 4111 1111 1111 1111."
    assert mask_text(text) == (
        "Call XXXXXX3210 or mail XXXX@example.in about card XXXX XXXX XXXX 1111."
    )
    assert mask_text("nothing to see") == "nothing to see"


# --- linear time on hostile input ---------------------------------------------------------------

HOSTILE = [
    "1" * 100_000,
    "a@" * 50_000,
    "+9" * 50_000,
    "1." * 50_000,
    "1:" * 50_000,
    ":" * 100_000,
    "1-" * 50_000,
    "1 " * 50_000,
    "A" * 100_000,
    "a" * 99_999 + "@",
    "a@" + "b." * 49_999,
    "9876 " * 20_000,
    "4111 1111 1111 " * 6_667,
    "ABCDE1234" * 11_111,
    "MH12AB" * 16_666,
    "DE89 " * 20_000,
    "255.255.255." * 8_333,
    "ffff:" * 20_000,
    "123-45-" * 14_285,
    "1990-05-" * 12_500,
]
BOUND_S = 0.5


def _timed(run: Callable[..., object], *args: object) -> float:
    started = time.perf_counter()
    run(*args)
    return time.perf_counter() - started


@pytest.mark.parametrize("det", DETECTORS, ids=lambda d: d.kind)
def test_every_pattern_runs_in_linear_time_on_hostile_strings(det: Detector) -> None:
    plain = re.compile(det.pattern, re.ASCII)
    slow = []
    for text in HOSTILE:
        arrow = pa.array([text])
        for regex in (det.pattern, det.arrow_whole, det.arrow_search):
            spent = _timed(pc.match_substring_regex, arrow, regex)
            if spent > BOUND_S:
                slow.append(("pyarrow", text[:12], regex[:30], spent))
        for name, run in (
            ("re.finditer", lambda t: list(plain.finditer(t))),
            ("search", lambda t: list(det.search.finditer(t))),
            ("fullmatch", det.whole.fullmatch),
        ):
            spent = _timed(run, text)
            if spent > BOUND_S:
                slow.append((name, text[:12], "", spent))
    assert slow == []


def test_detect_and_mask_text_run_in_linear_time_on_hostile_strings() -> None:
    for text in HOSTILE:
        assert _timed(mask_text, text) < 4 * BOUND_S, text[:12]
