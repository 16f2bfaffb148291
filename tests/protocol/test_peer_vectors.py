"""Frames of 13 independent open-source HJ 212 projects, each decoded as that project asserts.

``../shared/data/hj212-peer-vectors/hj212-peer-vectors.jsonl`` (89 frames; where each was found,
commit included, and what was checked, in its ``SOURCE.md``) is read where it lies, beside the
checkout, and not copied into the repository. Per its ``expected.status``:

* ``valid`` (31): decodes with the header fields and values asserted, and nothing tolerated
  (no note);
* ``invalid`` (39): refused with the reason asserted (``crc``: ``CrcError``; ``length`` and
  ``truncated``: ``LengthError``); the plain-Modbus ones decode once that vendor variant is
  allowed for the device, and only then;
* ``deviant`` (19): decoded with the values asserted, and every deviation tolerated leaves a
  note (HJ 212-2017 §6.3.2 Table 3 order and Flag bits, §6.3.3 items, C.40 PolId groups).

Without the file the tests skip, except in CI (``CI=true``), where they fail: CI runs with a
copy of ``shared/`` beside the clone, so a missing file must not turn into a silent green.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from typing import Any

import pytest

from greenport.kernel.time import CHINA_TZ
from greenport.protocol import (
    NUMERIC_FIELDS,
    CrcError,
    CrcVariant,
    LengthError,
    Message,
    ProtocolError,
    decode,
)
from greenport.protocol.messages import TIME_FIELDS, TIME_PARAMS
from tests.conftest import SHARED

VECTORS = SHARED / "data" / "hj212-peer-vectors" / "hj212-peer-vectors.jsonl"

#: ``expected.refusal`` -> the error the codec refuses the frame with.
REFUSALS: dict[str, type[ProtocolError]] = {"crc": CrcError, "length": LengthError, "truncated": LengthError}

#: ``expected.why`` of a deviant frame (a phrase of it) -> a phrase of the note its decoding leaves.
DEVIATION_NOTES = {
    "DataTime has 17 digits": "milliseconds",
    "PNUM/PNO without Flag": "PNUM/PNO given without Flag",
    "PNO before PNUM": "Table 3 order",
    "MN before PW": "Table 3 order",
    "QN after CN": "Table 3 order",
    "D=1 without PNUM/PNO": "sets bit D",
    "'Flag=N' item without factor code": "names no factor",
    "several PolId groups": "PolId groups",
}
#: Deviations that are kept as sent without a note, as docs/protocol.md says: an unknown ST is a
#: code outside Table 5, not a broken frame (codes.st_name tells whoever asks).
KEPT_AS_SENT = ("ST=80 is not in",)


def vectors() -> list[dict[str, Any]]:
    if not VECTORS.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must provide {VECTORS} (a copy of shared/ beside the clone)")
        pytest.skip(f"shared file {VECTORS} not present beside this checkout")
    with VECTORS.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def of_status(status: str) -> list[dict[str, Any]]:
    return [vector for vector in vectors() if vector["expected"]["status"] == status]


def where(vector: dict[str, Any]) -> str:
    return f"{vector['source']} ({vector['commit'][:12]}): {vector['frame'][:70]}"


def china_time(text: str) -> datetime:
    """An N14 time (or N17 with milliseconds) as China time, read independently of the codec."""
    moment = datetime.strptime(text[:14], "%Y%m%d%H%M%S").replace(tzinfo=CHINA_TZ)
    return moment + timedelta(milliseconds=int(text[14:] or 0))


def assert_as_asserted(message: Message, expected: dict[str, Any], context: str) -> None:
    """The header fields, DataTime, values and PolId groups the peer asserts, as decoded."""
    header = {
        "QN": message.qn,
        "ST": message.st,
        "CN": message.cn,
        "PW": message.pw,
        "MN": message.mn,
        "Flag": message.flag,
        "PNUM": message.pnum,
        "PNO": message.pno,
    }
    for key, got in header.items():
        if key in expected:
            want = int(expected[key]) if key in ("Flag", "PNUM", "PNO") else expected[key]
            assert got == want, f"{context}: {key}={got!r}, expected {want!r}"
    if "DataTime" in expected:
        assert message.data_time is not None, context
        assert message.data_time == china_time(expected["DataTime"]), context
    for name, want in expected.get("values", {}).items():
        code, dash, suffix = name.rpartition("-")
        got = message.cp.factors[code][suffix] if dash else message.cp.params[name]
        if isinstance(want, dict):
            assert want["contains"] in str(got), f"{context}: {name}"
        elif suffix in NUMERIC_FIELDS and dash:
            assert got == float(want), f"{context}: {name}={got!r}, expected {want}"
        elif (dash and suffix in TIME_FIELDS) or (not dash and name in TIME_PARAMS):
            assert got == china_time(want), f"{context}: {name}"
        else:
            assert got == want, f"{context}: {name}={got!r}, expected {want!r}"
    if "polids" in expected:
        groups = (message.cp, *message.cp.groups)
        assert [group.params["PolId"] for group in groups] == expected["polids"], context


def test_the_file_holds_what_its_source_says() -> None:
    counts = {status: len(of_status(status)) for status in ("valid", "invalid", "deviant")}
    assert counts == {"valid": 31, "invalid": 39, "deviant": 19}


def test_every_valid_frame_decodes_with_the_asserted_values_and_nothing_tolerated() -> None:
    for vector in of_status("valid"):
        message = decode(vector["frame"].encode("utf-8"))
        assert_as_asserted(message, vector["expected"], where(vector))
        assert message.notes == (), where(vector)


def test_every_invalid_frame_is_refused_with_its_reason() -> None:
    for vector in of_status("invalid"):
        expected = vector["expected"]
        frame = vector["frame"].encode("utf-8")
        with pytest.raises(ProtocolError) as refused:
            decode(frame)
        wanted = REFUSALS[expected["refusal"]]
        assert type(refused.value) is wanted, f"{where(vector)}: {refused.value!r}"
        if "crc_computed_hj212" in expected:
            assert refused.value.details["computed"] == expected["crc_computed_hj212"].upper(), where(vector)
        if expected.get("crc_variant") == "modbus":  # the vendor variant, only when allowed
            message = decode(frame, allow_crc_variants={CrcVariant.MODBUS})
            assert message.crc_variant is CrcVariant.MODBUS, where(vector)
            assert_as_asserted(message, expected, where(vector))


def test_every_deviant_frame_decodes_with_the_asserted_values_and_a_note_per_deviation() -> None:
    for vector in of_status("deviant"):
        expected = vector["expected"]
        message = decode(vector["frame"].encode("utf-8"))
        assert_as_asserted(message, expected, where(vector))
        if any(phrase in expected["why"] for phrase in KEPT_AS_SENT):
            continue
        wanted = [note for why, note in DEVIATION_NOTES.items() if why in expected["why"]]
        assert wanted, f"{where(vector)}: no note known for {expected['why']!r}"
        for phrase in wanted:
            assert any(phrase in note for note in message.notes), f"{where(vector)}: {message.notes}"


def test_a_3020_frame_with_several_instruments_keeps_every_group() -> None:
    """The real logger's 3020 upload (wanghua1120/chaserver-tcp, 2019-05-07): four PolId groups,
    each with i12001/i12002; every instrument's values are kept, in wire order."""
    (vector,) = [
        v
        for v in of_status("deviant")
        if "several PolId" in v["expected"]["why"] and "2019050700" in v["frame"]
    ]
    message = decode(vector["frame"].encode("utf-8"))
    groups = [(g.params["PolId"], dict(g.factors)) for g in (message.cp, *message.cp.groups)]
    assert groups == [
        ("w01019", {"i12001": {"Info": "1"}, "i12002": {"Info": "0"}}),
        ("w21001", {"i12001": {"Info": "1"}, "i12002": {"Info": "0"}}),
        ("w21003", {"i12001": {"Info": "1"}, "i12002": {"Info": "0"}}),
        ("w21011", {"i12001": {"Info": "1"}, "i12002": {"Info": "0"}}),
    ]
    assert not any("given twice" in note for note in message.notes)
