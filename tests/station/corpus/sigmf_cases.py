"""Malformed recordings: SigMF metadata and data, SigMF archives, raw cu8, WAV.

Every mutation is applied to a copy of a small, valid recording in the case's own
folder and read by ``decode`` and ``replay`` (the two SigMF readers, which must judge a
file alike), and some by ``detect`` and ``recording recover``.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import struct
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tests.station.corpus.base import Case, Sandbox

BIG = "1" + "0" * 4999  # a 5,000-digit integer (over Python's int-from-text limit)
DEEP = 200_000

Meta = dict[str, Any]


def _set(section: str, key: str, value: Any) -> Callable[[Meta], None]:
    def edit(meta: Meta) -> None:
        target = meta[section] if section == "global" else meta[section][0]
        target[key] = value

    return edit


def _drop(section: str, key: str) -> Callable[[Meta], None]:
    def edit(meta: Meta) -> None:
        (meta[section] if section == "global" else meta[section][0]).pop(key, None)

    return edit


def _top(key: str, value: Any) -> Callable[[Meta], None]:
    def edit(meta: Meta) -> None:
        meta[key] = value

    return edit


#: Values any typed field gets (wrong types, out-of-range, odd floats).
ODD_VALUES: list[tuple[str, Any]] = [
    ("str", "abc"), ("null", None), ("true", True), ("list", [1]), ("dict", {"a": 1}),
    ("neg", -1), ("zero", 0), ("tiny", 1e-300), ("huge", 1e300), ("nan", float("nan")),
    ("inf", float("inf")), ("ninf", float("-inf")), ("2p64", 2**64), ("frac", 0.5),
]  # fmt: skip

#: The odd values fields other than the rate and the channels get.
FEW = {"str", "null", "true", "list", "neg", "huge", "nan", "2p64"}

#: (name, edit of the parsed metadata) for the fields hi-station reads.
FIELD_EDITS: list[tuple[str, Callable[[Meta], None]]] = (
    [(f"rate-{n}", _set("global", "core:sample_rate", v)) for n, v in ODD_VALUES]
    + [("rate-1e12", _set("global", "core:sample_rate", 1e12)),
       ("rate-missing", _drop("global", "core:sample_rate")),
       ("rate-5e-324", _set("global", "core:sample_rate", 5e-324))]
    + [(f"datatype-{n}", _set("global", "core:datatype", v)) for n, v in
       [("123", 123), ("null", None), ("ri8", "ri8"), ("cf64", "cf64_le"), ("be", "cf32_be"),
        ("upper", "CF32_LE"), ("empty", ""), ("true", True), ("list", ["cf32_le"]),
        ("cu8", "cu8"), ("ci16", "ci16_le")]]
    + [("datatype-missing", _drop("global", "core:datatype"))]
    + [(f"channels-{n}", _set("global", "core:num_channels", v)) for n, v in ODD_VALUES]
    + [(f"freq-{n}", _set("captures", "core:frequency", v)) for n, v in ODD_VALUES if n in FEW]
    + [(f"datetime-{n}", _set("captures", "core:datetime", v)) for n, v in
       [("9999", "9999-12-31T23:59:59.999999Z"), ("0001", "0001-01-01T00:00:00Z"),
        ("abc", "abc"), ("int", 123), ("naive", "2013-10-09T18:00:00"),
        ("feb30", "2013-02-30T18:00:00Z"), ("leap", "2013-06-30T23:59:60Z"),
        ("tz25", "2013-10-09T18:00:00+25:00"), ("plus", "+10000-01-01T00:00:00Z"),
        ("digits", "2013-10-09T18:00:00.123456789012Z"), ("date", "2013-10-09"),
        ("null", None), ("list", ["2013-10-09T18:00:00Z"]), ("empty", "")]]
    + [(f"start-{n}", _set("captures", "core:sample_start", v)) for n, v in ODD_VALUES if n in FEW]
    + [(f"sha-{n}", _set("global", "core:sha512", v)) for n, v in
       [("mismatch", "0" * 128), ("short", "abc"), ("int", 123), ("null", None), ("empty", "")]]
    + [(f"dataset-{n}", _set("global", "core:dataset", v)) for n, v in
       [("dotdot", "../x.sigmf-data"), ("abs", "/etc/hostname"), ("devzero", "/dev/zero"),
        ("missing", "nothere.bin"), ("int", 123), ("self", "iq.sigmf-meta")]]
    + [("metadata-only", _set("global", "core:metadata_only", True)),
       ("version-99", _set("global", "core:version", "99.0.0")),
       ("version-int", _set("global", "core:version", 1)),
       ("offset-huge", _set("global", "core:offset", 2**70)),
       ("unknown-key", _set("global", "core:wat", {"deep": [1, 2, 3]})),
       ("global-str", _top("global", "x")), ("global-list", _top("global", [])),
       ("global-null", _top("global", None)), ("global-missing", lambda m: m.pop("global")),
       ("captures-str", _top("captures", "x")), ("captures-empty", _top("captures", [])),
       ("captures-null", _top("captures", None)), ("captures-items", _top("captures", [1])),
       ("captures-missing", lambda m: m.pop("captures")),
       ("captures-many", _top("captures", [{"core:sample_start": 5}, {"core:sample_start": 0}])),
       ("annotations-str", _top("annotations", "x")), ("annotations-items", _top("annotations", [1])),
       ("ann-start-neg", _top("annotations", [{"core:sample_start": -5, "core:sample_count": 1}])),
       ("ann-count-huge", _top("annotations", [{"core:sample_start": 0, "core:sample_count": 1e300}])),
       ("ann-past-end", _top("annotations", [{"core:sample_start": 10**9, "core:sample_count": 5}])),
       ("ann-label-int", _top("annotations", [{"core:sample_start": 0, "core:label": 5}])),
       ("ann-edges-str", _top("annotations", [{"core:sample_start": 0, "core:sample_count": 1,
                                                "core:freq_lower_edge": "x"}]))]
)  # fmt: skip

#: Edits that must be refused: a reader that accepts one is wrong.
MUST_REFUSE = {
    "rate-str", "rate-null", "rate-true", "rate-list", "rate-dict", "rate-neg", "rate-zero",
    "rate-tiny", "rate-huge", "rate-nan", "rate-inf", "rate-ninf", "rate-5e-324",
    "rate-1e12", "datatype-123", "datatype-ri8", "datatype-true", "channels-zero",
    "channels-neg", "channels-str", "sha-mismatch", "global-str", "freq-str",
    "datetime-abc", "datetime-naive", "dataset-dotdot", "dataset-abs", "dataset-devzero",
}

#: (name, metadata text from the valid text) for damage below the JSON level.
TEXT_EDITS: list[tuple[str, Callable[[str], str | bytes]]] = [
    ("json-deep-global", lambda t: '{"global": ' + "[" * DEEP + "]" * DEEP + "}"),
    ("json-deep-top", lambda t: "[" * DEEP + "]" * DEEP),
    ("json-deep-dict", lambda t: '{"a":' * DEEP + "1" + "}" * DEEP),
    ("json-bigint-rate", lambda t: t.replace('"core:sample_rate": 500.0', f'"core:sample_rate": {BIG}')),
    ("json-bigint-channels", lambda t: t.replace('"core:num_channels": 1', f'"core:num_channels": {BIG}')),
    ("json-bigint-start", lambda t: t.replace('"core:sample_start": 0', f'"core:sample_start": {BIG}', 1)),
    ("json-bigint-freq", lambda t: t.replace('"core:frequency": 28400000.0', f'"core:frequency": {BIG}')),
    ("json-bigfloat-rate", lambda t: t.replace('"core:sample_rate": 500.0', '"core:sample_rate": 1e99999')),
    ("json-nan-rate", lambda t: t.replace('"core:sample_rate": 500.0', '"core:sample_rate": NaN')),
    ("json-inf-rate", lambda t: t.replace('"core:sample_rate": 500.0', '"core:sample_rate": Infinity')),
    ("json-dup-rate", lambda t: t.replace('"core:sample_rate": 500.0', '"core:sample_rate": 500.0, "core:sample_rate": -1')),
    ("json-empty", lambda t: ""), ("json-null", lambda t: "null"), ("json-list", lambda t: "[]"),
    ("json-number", lambda t: "1"), ("json-string", lambda t: '"x"'),
    ("json-truncated", lambda t: t[: len(t) // 2]), ("json-bom", lambda t: "\ufeff" + t),
    ("json-nul", lambda t: t.replace(":", ":\x00", 1)),
    ("json-bad-utf8", lambda t: t.encode().replace(b"hi-station", b"hi-\xff\xfestation", 1)),
    ("json-utf16", lambda t: t.encode("utf-16")), ("json-garbage", lambda t: os.urandom(512)),
    ("json-long-string", lambda t: t.replace('"core:author": "', '"core:author": "' + "x" * 3_000_000)),
    ("json-trailing", lambda t: t + "\n{}\n"), ("json-comment", lambda t: "// x\n" + t),
]  # fmt: skip

#: (name, change to the data file) for the samples.
DATA_EDITS: list[tuple[str, Callable[[Path], None]]] = [
    ("data-empty", lambda p: p.write_bytes(b"")),
    ("data-odd", lambda p: p.write_bytes(p.read_bytes() + b"\x01")),
    ("data-half-sample", lambda p: p.write_bytes(p.read_bytes()[:-4])),
    ("data-one-byte", lambda p: p.write_bytes(b"\x00")),
    ("data-short", lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 3 // 8 * 8])),
    ("data-nan", lambda p: p.write_bytes(struct.pack("<f", float("nan")) * (p.stat().st_size // 4))),
    ("data-inf", lambda p: p.write_bytes(p.read_bytes()[:-8] + struct.pack("<ff", float("inf"), 0))),
    ("data-huge-values", lambda p: p.write_bytes(struct.pack("<f", 3e38) * (p.stat().st_size // 4))),
    ("data-zeros", lambda p: p.write_bytes(bytes(p.stat().st_size))),
    ("data-missing", lambda p: p.unlink()),
    ("data-dir", lambda p: (p.unlink(), p.mkdir())),
    ("data-fifo", lambda p: (p.unlink(), os.mkfifo(p))),
    ("data-link-devzero", lambda p: (p.unlink(), p.symlink_to("/dev/zero"))),
    ("data-link-loop", lambda p: (p.unlink(), p.symlink_to(p.name))),
    ("data-link-missing", lambda p: (p.unlink(), p.symlink_to("nothere"))),
]  # fmt: skip

MUST_REFUSE |= {"data-empty", "data-odd", "data-half-sample", "data-one-byte", "data-nan",
                "data-inf", "data-missing", "data-dir", "data-fifo", "data-link-devzero"}


def _copy_base(common: dict[str, Path], folder: Path) -> tuple[Path, Path]:
    meta = folder / "iq.sigmf-meta"
    data = folder / "iq.sigmf-data"
    shutil.copyfile(common["sigmf"], meta)
    shutil.copyfile(common["sigmf"].with_suffix(".sigmf-data"), data)
    return meta, data


def _readers(case_id: str, meta: Path, folder: Path, refuse: bool) -> Iterator[Case]:
    expect = "error" if refuse else "any"
    yield Case(f"{case_id}/decode", "sigmf:decode", ["decode", str(meta), "--max-dit-s", "2"],
               expect=expect)  # fmt: skip
    yield Case(f"{case_id}/replay", "sigmf:replay", ["replay", str(meta), "--json"],
               expect=expect)  # fmt: skip


def sigmf_cases(sb: Sandbox, common: dict[str, Path]) -> Iterator[Case]:
    """Field edits, text edits and data edits of a SigMF pair, each read by both readers."""
    base_meta = json.loads(common["sigmf"].read_text())
    base_text = common["sigmf"].read_text()
    for name, edit in FIELD_EDITS:
        folder = sb.new(f"sigmf-{name}")
        meta, _ = _copy_base(common, folder)
        doc = copy.deepcopy(base_meta)
        edit(doc)
        meta.write_text(json.dumps(doc, indent=1))
        yield from _readers(f"sigmf-{name}", meta, folder, name in MUST_REFUSE)
    for name, edit in TEXT_EDITS:
        folder = sb.new(f"sigmf-{name}")
        meta, _ = _copy_base(common, folder)
        text = edit(base_text)
        meta.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
        yield from _readers(f"sigmf-{name}", meta, folder, name.startswith("json-deep"))
    for name, edit in DATA_EDITS:
        folder = sb.new(f"sigmf-{name}")
        meta, data = _copy_base(common, folder)
        edit(data)
        yield from _readers(f"sigmf-{name}", meta, folder, name in MUST_REFUSE)
    yield from _recover_cases(sb, common)
    yield from _archive_cases(sb, common)


def _recover_cases(sb: Sandbox, common: dict[str, Path]) -> Iterator[Case]:
    """``recording recover`` of damaged pairs: it may change the pair, nothing else."""
    picks = ["rate-str", "global-str", "datatype-123", "channels-zero", "freq-str",
             "datetime-9999", "start-huge", "captures-str", "annotations-items",
             "ann-count-huge", "dataset-dotdot", "dataset-abs", "sha-int"]  # fmt: skip
    edits = dict(FIELD_EDITS)
    base_meta = json.loads(common["sigmf"].read_text())
    for name in picks:
        folder = sb.new(f"recover-{name}")
        meta, data = _copy_base(common, folder)
        doc = copy.deepcopy(base_meta)
        edits[name](doc)
        meta.write_text(json.dumps(doc, indent=1))
        yield Case(f"recover-{name}", "sigmf:recover", ["recording", "recover", str(meta)],
                   allowed=[str(meta), str(data)])  # fmt: skip
    texts = dict(TEXT_EDITS)
    for name in ["json-deep-global", "json-bigint-rate", "json-truncated", "json-garbage"]:
        folder = sb.new(f"recover-{name}")
        meta, data = _copy_base(common, folder)
        text = texts[name](common["sigmf"].read_text())
        meta.write_bytes(text if isinstance(text, bytes) else text.encode())
        yield Case(f"recover-{name}", "sigmf:recover", ["recording", "recover", str(meta)],
                   allowed=[str(meta), str(data)])  # fmt: skip
    datas = dict(DATA_EDITS)
    for name in ["data-odd", "data-empty", "data-fifo", "data-link-devzero", "data-dir",
                 "data-missing", "data-link-loop"]:  # fmt: skip
        folder = sb.new(f"recover-{name}")
        meta, data = _copy_base(common, folder)
        datas[name](data)
        yield Case(f"recover-{name}", "sigmf:recover", ["recording", "recover", str(meta)],
                   allowed=[str(meta), str(data)] if name == "data-odd" else [str(meta)])  # fmt: skip


def _archive_cases(sb: Sandbox, common: dict[str, Path]) -> Iterator[Case]:
    """Damaged ``.sigmf`` archives (tar): garbage, cut short, escaping member names."""
    meta_bytes = common["sigmf"].read_bytes()
    data_bytes = common["sigmf"].with_suffix(".sigmf-data").read_bytes()

    def tar(path: Path, members: list[tuple[str, bytes]]) -> None:
        import io

        with tarfile.open(path, "w") as tf:
            for member, payload in members:
                info = tarfile.TarInfo(member)
                info.size = len(payload)
                tf.addfile(info, io.BytesIO(payload))

    variants: list[tuple[str, Callable[[Path], None]]] = [
        ("garbage", lambda p: p.write_bytes(os.urandom(2048))),
        ("empty", lambda p: p.write_bytes(b"")),
        ("no-members", lambda p: tar(p, [])),
        ("meta-only", lambda p: tar(p, [("iq/iq.sigmf-meta", meta_bytes)])),
        ("dotdot", lambda p: tar(p, [("../iq.sigmf-meta", meta_bytes), ("../iq.sigmf-data", data_bytes)])),
        ("absolute", lambda p: tar(p, [("/tmp/iq.sigmf-meta", meta_bytes), ("/tmp/iq.sigmf-data", data_bytes)])),
        ("two", lambda p: tar(p, [("a/a.sigmf-meta", meta_bytes), ("a/a.sigmf-data", data_bytes),
                                  ("b/b.sigmf-meta", meta_bytes), ("b/b.sigmf-data", data_bytes)])),
        ("good", lambda p: tar(p, [("iq/iq.sigmf-meta", meta_bytes), ("iq/iq.sigmf-data", data_bytes)])),
    ]  # fmt: skip
    for name, make in variants:
        folder = sb.new(f"archive-{name}")
        path = folder / "iq.sigmf"
        make(path)
        if name == "good":
            cut = folder / "cut.sigmf"
            cut.write_bytes(path.read_bytes()[:3000])
            yield from _readers("archive-cut", cut, folder, True)
        yield from _readers(f"archive-{name}", path, folder, name in {"garbage", "empty"})
