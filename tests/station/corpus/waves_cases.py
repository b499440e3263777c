"""Malformed Waves files: PDS survey CSV (plain and ``.CSV.gz``), das2 streams, generic CSV/NPZ."""

from __future__ import annotations

import gzip
import io
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from tests.station.corpus.base import Case, Sandbox

BIG = "1" + "0" * 4999
NAME = "WAV_2013282T180000_E_V02.CSV"


def _line(n: int, new: Callable[[str], str]) -> Callable[[str], str]:
    """Replace line ``n`` (0-based) of the text."""

    def edit(text: str) -> str:
        lines = text.split("\n")
        lines[n] = new(lines[n])
        return "\n".join(lines)

    return edit


def _field(n: int, k: int, value: str) -> Callable[[str], str]:
    def edit(line: str) -> str:
        fields = line.split(",")
        fields[k] = value
        return ",".join(fields)

    return _line(n, edit)


#: (name, edit of the PDS CSV text).  Lines 3 and 4 hold frequencies and bandwidths.
PDS_EDITS: list[tuple[str, Callable[[str], str | bytes]]] = [
    ("empty", lambda t: ""), ("header-only", lambda t: "\n".join(t.split("\n")[:5]) + "\n"),
    ("cut-header", lambda t: "\n".join(t.split("\n")[:3])), ("one-row", lambda t: "\n".join(t.split("\n")[:6])),
    ("cut-mid-row", lambda t: t[: len(t) // 2]), ("garbage", lambda t: "a,b,c\n" * 50),
    ("freq-abc", _field(3, 28, "abc")), ("freq-nan", _field(3, 28, "nan")), ("freq-neg", _field(3, 29, "-2.85e7")),
    ("freq-big", _field(3, 29, BIG)), ("freq-dup", _field(3, 28, "2.850000e+07")), ("freq-empty", _field(3, 29, "")),
    ("freq-inf", _field(3, 29, "inf")), ("freq-quoted", _field(3, 29, '"2.85e7"')),
    ("bw-zero", _field(4, 29, "0")), ("bw-abc", _field(4, 29, "abc")), ("bw-1e308", _field(4, 29, "1e308")),
    ("scet-9999", _field(5, 1, "9999-365T23:59:59.000")), ("scet-day400", _field(5, 1, "2013-400T00:00:00.000")),
    ("scet-abc", _field(5, 1, "abc")), ("scet-empty", _field(5, 1, "")), ("scet-leap", _field(5, 1, "2013-282T23:59:60.000")),
    ("scet-0001", _field(5, 1, "0001-001T00:00:00.000")), ("scet-big", _field(5, 1, BIG)),
    ("sclk-nan", _field(5, 0, "nan")), ("sclk-abc", _field(5, 0, "abc")),
    ("power-abc", _field(6, 29, "abc")), ("power-big", _field(6, 29, BIG)), ("power-inf", _field(6, 29, "inf")),
    ("power-neg", _field(6, 29, "-1")), ("power-1e308", _field(6, 29, "1e308")), ("power-tiny", _field(6, 29, "1e-320")),
    ("short-row", _line(7, lambda ln: ",".join(ln.split(",")[:5]))),
    ("long-row", _line(7, lambda ln: ln + ",1" * 500)),
    ("backwards", lambda t: "\n".join(t.split("\n")[:5] + t.split("\n")[5:-1][::-1]) + "\n"),
    ("dup-times", lambda t: "\n".join(t.split("\n")[:6] + t.split("\n")[5:])),
    ("crlf", lambda t: t.replace("\n", "\r\n")), ("bom", lambda t: "\ufeff" + t),
    ("nul", lambda t: t.replace(",", "\x00", 40)), ("bad-utf8", lambda t: t.encode().replace(b"Juno", b"J\xffno", 1)),
    ("huge-line", lambda t: t + "1," * 3_000_000 + "\n"), ("quote-open", _field(6, 3, '"open')),
]  # fmt: skip

#: (name, bytes of a .CSV.gz) from the gzip of the valid file.
GZ_EDITS: list[tuple[str, Callable[[bytes], bytes]]] = [
    ("gz-cut", lambda b: b[: len(b) // 2]), ("gz-cut-header", lambda b: b[:5]), ("gz-empty", lambda b: b""),
    ("gz-flip", lambda b: b[:40] + bytes(x ^ 0xFF for x in b[40:80]) + b[80:]),
    ("gz-crc", lambda b: b[:-8] + b"\x00" * 8), ("gz-not-gzip", lambda b: b"plain text, not gzip\n"),
    ("gz-trailing", lambda b: b + b"garbage"), ("gz-twice", lambda b: gzip.compress(b)),
    ("gz-concat", lambda b: b + b), ("gz-bomb", lambda b: gzip.compress(b"0," * 40_000_000)),
]  # fmt: skip


def _das2_edits(valid: bytes) -> list[tuple[str, bytes]]:
    header_end = valid.index(b"</stream>") + 9
    first_packet = valid.index(b":10:") if b":10:" in valid else len(valid) // 2
    deep = b"<stream>" + b"<a>" * 50_000 + b"</a>" * 50_000 + b"</stream>"
    edits = [
        ("cut-0", b""), ("cut-4", valid[:4]), ("cut-10", valid[:10]), ("cut-header", valid[: header_end - 20]),
        ("cut-packet-header", valid[: first_packet - 30]), ("cut-half", valid[: len(valid) // 2]),
        ("cut-odd", valid[:-7]), ("len-huge", b"[00]999999" + valid[10:]), ("len-abc", b"[00]00abcd" + valid[10:]),
        ("len-zero", b"[00]000000" + valid[10:]), ("bad-xml", valid.replace(b"<stream", b"<stream <<", 1)),
        ("entity-bomb", b'[00]000180<?xml version="1.0"?><!DOCTYPE s [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><stream t="&c;"/>\n' + valid[header_end:]),
        ("deep-xml", b"[00]%06d" % len(deep) + deep),
        ("packet-id-bad", valid.replace(b"[10]", b"[zz]", 1)), ("data-unknown-id", valid.replace(b":10:", b":77:", 1)),
        ("nitems-huge", valid.replace(b'nitems="', b'nitems="99999999', 1)),
        ("nitems-neg", valid.replace(b'nitems="', b'nitems="-', 1)),
        ("type-bad", valid.replace(b'type="ascii', b'type="weird', 1)),
        ("ytags-abc", valid.replace(b'yTags="', b'yTags="abc,', 1)),
        ("time-9999", valid.replace(b"2017-01-01T", b"9999-12-31T", 3)),
        ("time-abc", valid.replace(b"2017-01-01T00:0", b"abcd-ef-ghT00:0", 3)),
        ("values-nan", valid.replace(b"e-1", b"nan", 20)), ("gzip-cut", gzip.compress(valid)[:500]),
        ("garbage", bytes(range(256)) * 40), ("nul", valid.replace(b"\n", b"\x00", 5)),
    ]  # fmt: skip
    return edits


_GENERIC = "# units: W\ntime_utc,28.5MHz,agc\n2013-10-09T18:00:00Z,1e-15,3\n2013-10-09T18:00:02Z,2e-15,4\n"

#: (name, generic CSV text).
GENERIC_EDITS: list[tuple[str, str]] = [
    ("empty", ""), ("header-only", "time_utc,28.5MHz\n"), ("no-time", "a,b\n1,2\n"),
    ("time-naive", _GENERIC.replace("18:00:00Z", "18:00:00")), ("time-9999", _GENERIC.replace("2013-10-09", "9999-12-31", 1)),
    ("time-abc", _GENERIC.replace("2013-10-09T18:00:00Z", "abc")), ("unix-nan", "time_unix_s,28.5MHz\nnan,1\n1,2\n"),
    ("unix-big", f"time_unix_s,28.5MHz\n{BIG},1\n1,2\n"), ("unix-1e308", "time_unix_s,28.5MHz\n1e308,1\n1e308,2\n"),
    ("unix-neg", "time_unix_s,28.5MHz\n-1e15,1\n-1e15,2\n"), ("freq-abc", _GENERIC.replace("28.5MHz", "abcMHz")),
    ("freq-huge", _GENERIC.replace("28.5MHz", "1e400MHz")), ("freq-big", _GENERIC.replace("28.5MHz", BIG + "Hz")),
    ("freq-neg", _GENERIC.replace("28.5MHz", "-28.5MHz")), ("bw-bad", "# bandwidth_hz: abc, x\n" + _GENERIC),
    ("bw-count", "# bandwidth_hz: 1, 2, 3, 4\n" + _GENERIC), ("units-long", "# units: " + "W" * 100_000 + "\n" + _GENERIC),
    ("extra-cols", _GENERIC + "2013-10-09T18:00:04Z,1,2,3,4,5\n"), ("few-cols", _GENERIC + "2013-10-09T18:00:04Z\n"),
    ("power-abc", _GENERIC.replace("1e-15", "abc")), ("power-big", _GENERIC.replace("1e-15", BIG)),
    ("backwards", "time_utc,28.5MHz\n2013-10-09T18:00:02Z,1\n2013-10-09T18:00:00Z,2\n"),
    ("many-cols", "time_utc," + ",".join(f"c{i}" for i in range(20_000)) + "\n"),
    ("nul", _GENERIC.replace(",", "\x00", 2)), ("quote-open", _GENERIC.replace("agc", '"agc')),
]  # fmt: skip


def _npz(arrays: dict[str, object]) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)  # type: ignore[arg-type]
    return buf.getvalue()


def _npz_edits() -> list[tuple[str, bytes]]:
    t = 1381341600.0 + np.arange(10.0)
    p = np.ones(10) * 1e-15
    zipped = _npz({"time_unix_s": t, "power": p})
    obj = io.BytesIO()
    np.save(obj, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    pickled = io.BytesIO()
    with zipfile.ZipFile(pickled, "w") as zf:
        zf.writestr("power.npy", obj.getvalue())
        zf.writestr("time_unix_s.npy", obj.getvalue())
    huge = io.BytesIO()
    with zipfile.ZipFile(huge, "w") as zf:
        zf.writestr("power.npy", b"\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (100000000000,), }" + b" " * 40 + b"\n")
        zf.writestr("time_unix_s.npy", b"\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (100000000000,), }" + b" " * 40 + b"\n")
    return [
        ("npz-garbage", b"not a zip"), ("npz-empty", b""), ("npz-cut", zipped[: len(zipped) // 2]),
        ("npz-no-power", _npz({"time_unix_s": t})), ("npz-no-time", _npz({"power": p})),
        ("npz-shape", _npz({"time_unix_s": t, "power": np.ones((3, 4, 5))})),
        ("npz-length", _npz({"time_unix_s": t, "power": np.ones(7)})),
        ("npz-time-nan", _npz({"time_unix_s": t * np.nan, "power": p})),
        ("npz-time-str", _npz({"time_utc": np.array(["abc"] * 10), "power": p})),
        ("npz-power-str", _npz({"time_unix_s": t, "power": np.array(["x"] * 10)})),
        ("npz-complex", _npz({"time_unix_s": t, "power": p + 1j})),
        ("npz-freq-bad", _npz({"time_unix_s": t, "power": p, "freq_hz": np.array(["x"])})),
        ("npz-units-array", _npz({"time_unix_s": t, "power": p, "units": np.ones(3)})),
        ("npz-pickle", pickled.getvalue()), ("npz-huge-shape", huge.getvalue()),
        ("npz-scalar", _npz({"time_unix_s": np.float64(1.0), "power": np.float64(1.0)})),
    ]  # fmt: skip


def _both(name: str, group: str, path: Path, schedule: str) -> Iterator[Case]:
    yield Case(f"{name}/inspect", f"{group}:waves-inspect", ["waves", "inspect", str(path)])
    yield Case(f"{name}/analyze", f"{group}:waves-analyze",
               ["waves", "analyze", str(path), "--schedule", schedule])  # fmt: skip


def waves_cases(sb: Sandbox, common: dict[str, Path]) -> Iterator[Case]:
    """Every damaged Waves file through ``waves inspect`` and ``waves analyze``."""
    text = common["pds"].read_text()
    for name, edit in PDS_EDITS:
        path = sb.new(f"pds-{name}") / NAME
        data = edit(text)
        path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass"))
        yield from _both(f"pds-{name}", "pds-csv", path, "juno-2013-10-09")
    packed = gzip.compress(text.encode())
    for name, edit in GZ_EDITS:
        path = sb.new(f"pds-{name}") / (NAME + ".gz")
        path.write_bytes(edit(packed))
        yield from _both(f"pds-{name}", "pds-csv-gz", path, "juno-2013-10-09")
    valid = common["das2"].read_bytes()
    for name, data in _das2_edits(valid):
        path = sb.new(f"das2-{name}") / "x.d2t"
        path.write_bytes(data)
        yield from _both(f"das2-{name}", "das2", path, str(common["event"]))
    for name, body in GENERIC_EDITS:
        path = sb.new(f"generic-{name}") / "rx.csv"
        path.write_text(body, encoding="utf-8")
        yield from _both(f"generic-{name}", "generic-csv", path, "juno-2013-10-09")
    for name, data in _npz_edits():
        path = sb.new(f"generic-{name}") / "rx.npz"
        path.write_bytes(data)
        yield from _both(f"generic-{name}", "generic-npz", path, "juno-2013-10-09")
