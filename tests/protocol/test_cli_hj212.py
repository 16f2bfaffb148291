"""``greenport hj212 parse|build`` through typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from greenport.cli.main import app
from greenport.protocol import decode
from tests.protocol.golden import DECODE_ONLY, REJECTED, ROUND_TRIP

runner = CliRunner()
GOOD = [frame for _, frame, _ in ROUND_TRIP]


def lines(stdout: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_parse_stdin_json_lines() -> None:
    stdin = b"".join(GOOD[:3]).decode()
    result = runner.invoke(app, ["hj212", "parse", "--json"], input=stdin)
    assert result.exit_code == 0, result.output
    out = lines(result.stdout)
    assert [o["line"] for o in out] == [1, 2, 3]
    assert out[0]["cn"] == "1062" and out[0]["params"] == {"RtdInterval": "30"}
    assert out[0]["crc_variant"] == "hj212" and out[0]["edition"] == "2017"


def test_parse_file_with_errors_exits_2(tmp_path: Path) -> None:
    bad = REJECTED[0][1]
    path = tmp_path / "frames.txt"
    path.write_bytes(GOOD[9] + b"\n# a comment\n" + bad + b"not a frame\r\n")
    result = runner.invoke(app, ["hj212", "parse", str(path), "--json"])
    assert result.exit_code == 2
    out = lines(result.stdout)
    assert out[0]["line"] == 1 and out[0]["factors"]["w01018"]["Avg"] == 40.1  # type: ignore[index]
    assert out[0]["data_time"] == "2016-08-01T08:40:00+08:00"
    crc = out[1]
    assert (crc["line"], crc["field"], crc["type"], crc["reply_hint"]) == (4, "CRC", "CrcError", 9)
    assert "error" in crc and crc["computed"] == "3C00"
    assert (out[2]["line"], out[2]["field"]) == (5, "header")


def test_parse_file_with_bom_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "frames.txt"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD[0] + GOOD[1])
    result = runner.invoke(app, ["hj212", "parse", str(path)])
    assert result.exit_code == 0 and [o["line"] for o in lines(result.stdout)] == [1, 2]


def test_parse_allow_crc_variant(tmp_path: Path) -> None:
    from greenport.protocol.crc import crc16_modbus_swapped

    segment = b"ST=31;CN=2011;PW=123456;MN=4201003;CP=&&DataTime=20200923111707;a21026-Rtd=11.285&&"
    frame = b"##%04d%s%04X" % (len(segment), segment, crc16_modbus_swapped(segment))
    path = tmp_path / "f.txt"
    path.write_bytes(frame + b"\n")
    assert runner.invoke(app, ["hj212", "parse", str(path), "--json"]).exit_code == 2
    result = runner.invoke(
        app, ["hj212", "parse", str(path), "--json", "--allow-crc-variant", "modbus-swapped"]
    )
    assert result.exit_code == 0
    assert lines(result.stdout)[0]["crc_variant"] == "modbus-swapped"
    wrong = runner.invoke(app, ["hj212", "parse", str(path), "--allow-crc-variant", "crc32"])
    assert wrong.exit_code == 2


def test_parse_then_build_gives_the_same_frames() -> None:
    frames = GOOD + [frame for _, frame, _ in DECODE_ONLY]
    parsed = runner.invoke(app, ["hj212", "parse", "--json"], input=b"".join(frames).decode())
    assert parsed.exit_code == 0, parsed.output
    built = runner.invoke(app, ["hj212", "build"], input=parsed.stdout)
    assert built.exit_code == 0, built.stderr
    rebuilt = built.stdout.splitlines()
    assert len(rebuilt) == len(frames)
    for original, again in zip(frames, rebuilt, strict=True):
        assert decode(again) == decode(original)
    # canonical frames come back byte for byte
    assert [line.encode() + b"\r\n" for line in rebuilt[: len(GOOD)]] == GOOD


def test_build_a_data_upload_by_hand(tmp_path: Path) -> None:
    upload = {
        "st": "32",
        "cn": "2051",
        "pw": "123456",
        "mn": "010000A8900016F000169DC0",
        "qn": "20160801085000001",
        "data_time": "20160801084000",
        "factors": {
            "w00000": {"Cou": 10.5, "Min": 16.4, "Avg": 17.5, "Max": 20.1, "Flag": "N"},
            "w01001": {"Min": 7.1, "Avg": 7.5, "Max": 7.8, "Flag": "N"},
            "w01018": {"Cou": 10.5, "Min": 40.1, "Avg": 40.1, "Max": 40.1, "Flag": "N"},
        },
    }
    path = tmp_path / "upload.json"
    path.write_text(json.dumps(upload))
    result = runner.invoke(app, ["hj212", "build", "--file", str(path)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.encode() == GOOD[9][:-2] + b"\n"  # E9 of the standard, flag defaults to 5
    del upload["qn"]
    path.write_text(json.dumps(upload))
    fresh = runner.invoke(app, ["hj212", "build", "--file", str(path)])
    assert fresh.exit_code == 0 and decode(fresh.stdout.strip()).qn is not None
    upload["qn"] = None
    path.write_text(json.dumps(upload))
    none = runner.invoke(app, ["hj212", "build", "--file", str(path)])
    assert none.exit_code == 0 and decode(none.stdout.strip()).qn is None


def test_build_errors_name_field_and_line() -> None:
    good = {"st": "32", "cn": "2011", "mn": "M", "data_time": "2016-08-01T08:00:00"}
    bad_value = {**good, "factors": {"a": {"Rtd": "abc"}}}
    missing = {"cn": "2011", "mn": "M"}
    stdin = "\n".join(json.dumps(o) for o in (good, bad_value, missing))
    result = runner.invoke(app, ["hj212", "build"], input=stdin)
    assert result.exit_code == 2
    assert len(result.stdout.splitlines()) == 1
    errors = lines(result.stderr)
    assert [(e["line"], e["field"]) for e in errors] == [(2, "a-Rtd"), (3, "st")]


def test_build_not_json() -> None:
    result = runner.invoke(app, ["hj212", "build"], input="{not json")
    assert result.exit_code == 2
