"""Malformed WAV files and raw ``rtl_sdr`` cu8 data, with the options a cu8 needs."""

from __future__ import annotations

import shutil
import struct
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from tests.station.corpus.base import Case, Sandbox


def _riff(fmt_tag: int, channels: int, rate: int, bits: int, data: bytes,
          declared: int | None = None, block: int | None = None) -> bytes:  # fmt: skip
    align = block if block is not None else channels * bits // 8
    fmt = struct.pack("<HHIIHH", fmt_tag, channels, rate, (rate * align) % 2**32, align, bits)
    size = len(data) if declared is None else declared
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", size) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


_PCM = (np.sin(np.arange(4000) / 3.0) * 20000).astype("<i2").tobytes()
_STEREO = np.repeat(np.frombuffer(_PCM, "<i2"), 2).tobytes()

#: (name, bytes of the file) from the bytes of a valid two-channel float WAV.
WAV_EDITS: list[tuple[str, Callable[[bytes], bytes]]] = [
    ("empty", lambda b: b""), ("riff-only", lambda b: b[:4]), ("cut-12", lambda b: b[:12]),
    ("cut-20", lambda b: b[:20]), ("cut-43", lambda b: b[:43]), ("cut-44", lambda b: b[:44]),
    ("cut-half", lambda b: b[: len(b) // 2]), ("cut-odd", lambda b: b[:-3]),
    ("not-riff", lambda b: b"RIFX" + b[4:]), ("rf64", lambda b: b"RF64" + b[4:]),
    ("garbage", lambda b: bytes(range(256)) * 8),
    ("declared-huge", lambda b: _riff(1, 2, 8000, 16, _STEREO, declared=2**32 - 1)),
    ("rate-zero", lambda b: _riff(1, 2, 0, 16, _STEREO)),
    ("rate-one", lambda b: _riff(1, 2, 1, 16, _STEREO)),
    ("rate-huge", lambda b: _riff(1, 2, 2**31, 16, _STEREO)),
    ("channels-zero", lambda b: _riff(1, 0, 8000, 16, _STEREO, block=4)),
    ("channels-3", lambda b: _riff(1, 3, 8000, 16, _STEREO[: len(_STEREO) // 6 * 6])),
    ("channels-999", lambda b: _riff(1, 999, 8000, 16, _STEREO, block=4)),
    ("pcm8", lambda b: _riff(1, 2, 8000, 8, bytes(range(256)) * 16)),
    ("pcm24", lambda b: _riff(1, 2, 8000, 24, bytes(6000))),
    ("bits-7", lambda b: _riff(1, 2, 8000, 7, bytes(4000), block=2)),
    ("mp3-tag", lambda b: _riff(0x55, 2, 8000, 16, _STEREO)),
    ("alaw", lambda b: _riff(6, 1, 8000, 8, bytes(4000))),
    ("mono-16", lambda b: _riff(1, 1, 8000, 16, _PCM)),
    ("mono-empty", lambda b: _riff(1, 1, 8000, 16, b"")),
    ("nan-float", lambda b: _riff(3, 2, 8000, 32, struct.pack("<f", float("nan")) * 8000)),
    ("inf-float", lambda b: _riff(3, 1, 8000, 32, struct.pack("<f", float("inf")) * 4000)),
    ("float64", lambda b: _riff(3, 2, 8000, 64, bytes(64000))),
    ("block-zero", lambda b: _riff(1, 2, 8000, 16, _STEREO, block=0)),
]  # fmt: skip

MUST_REFUSE = {"empty", "riff-only", "cut-12", "cut-20", "cut-43", "not-riff", "garbage",
               "declared-huge", "rate-zero", "channels-zero", "nan-float", "inf-float",
               "mono-empty", "cut-half"}  # fmt: skip


def wav_cases(sb: Sandbox, common: dict[str, Path]) -> Iterator[Case]:
    """Each damaged WAV read by decode, replay and detect."""
    valid = common["wav_iq"].read_bytes()
    for name, edit in WAV_EDITS:
        folder = sb.new(f"wav-{name}")
        path = folder / "x.wav"
        path.write_bytes(edit(valid))
        expect = "error" if name in MUST_REFUSE else "any"
        yield Case(f"wav-{name}/decode", "wav:decode",
                   ["decode", str(path), "--max-dit-s", "2"], expect=expect)  # fmt: skip
        yield Case(f"wav-{name}/replay", "wav:replay", ["replay", str(path)], expect=expect)
        yield Case(f"wav-{name}/detect", "wav:detect",
                   ["detect", str(path), "--text", "E", "--dit-s", "0.5",
                    "--start-offset-s", "0.5", "--timing-offset-s", "0.1"], expect=expect)  # fmt: skip
    for name in ["upper.WAV", "x.wav.sigmf-meta", "noext", "x.mp3", ".wav"]:
        folder = sb.new(f"wavname-{name}")
        path = folder / name
        shutil.copyfile(common["wav_iq"], path)
        yield Case(f"wavname-{name}/decode", "wav:decode", ["decode", str(path), "--max-dit-s", "2"])
        yield Case(f"wavname-{name}/replay", "wav:replay", ["replay", str(path)])


#: (name, bytes) for raw cu8 files.
CU8_DATA: list[tuple[str, Callable[[bytes], bytes]]] = [
    ("empty", lambda b: b""), ("one-byte", lambda b: b"\x80"), ("odd", lambda b: b + b"\x80"),
    ("short", lambda b: b[:100]), ("all-255", lambda b: b"\xff" * len(b)),
    ("all-0", lambda b: bytes(len(b))),
]  # fmt: skip

#: Option sets for a raw cu8 (rate and tuned frequency).
CU8_OPTIONS: list[tuple[str, list[str]]] = [
    ("no-rate", ["--center-mhz", "28.4"]), ("no-center", ["--sample-rate-hz", "500"]),
    ("none", []), ("rate-abc", ["--sample-rate-hz", "abc", "--center-mhz", "28.4"]),
    ("rate-zero", ["--sample-rate-hz", "0", "--center-mhz", "28.4"]),
    ("rate-neg", ["--sample-rate-hz", "-500", "--center-mhz", "28.4"]),
    ("rate-nan", ["--sample-rate-hz", "nan", "--center-mhz", "28.4"]),
    ("rate-inf", ["--sample-rate-hz", "inf", "--center-mhz", "28.4"]),
    ("rate-1e300", ["--sample-rate-hz", "1e300", "--center-mhz", "28.4"]),
    ("rate-1e-300", ["--sample-rate-hz", "1e-300", "--center-mhz", "28.4"]),
    ("center-nan", ["--sample-rate-hz", "500", "--center-mhz", "nan"]),
    ("center-inf", ["--sample-rate-hz", "500", "--center-mhz", "inf"]),
    ("center-neg", ["--sample-rate-hz", "500", "--center-mhz", "-28.4"]),
    ("center-1e300", ["--sample-rate-hz", "500", "--center-mhz", "1e300"]),
    ("channel-rate-0", ["--sample-rate-hz", "500", "--center-mhz", "28.4", "--channel-rate-hz", "0"]),
    ("channel-rate-huge", ["--sample-rate-hz", "500", "--center-mhz", "28.4", "--channel-rate-hz", "1e300"]),
    ("freq-outside", ["--sample-rate-hz", "500", "--center-mhz", "28.4", "--freq-mhz", "99"]),
    ("freq-nan", ["--sample-rate-hz", "500", "--center-mhz", "28.4", "--freq-mhz", "nan"]),
]  # fmt: skip


def cu8_cases(sb: Sandbox, common: dict[str, Path]) -> Iterator[Case]:
    """Raw cu8 files through replay (and decode, which does not read raw cu8)."""
    valid = common["cu8"].read_bytes()
    good = ["--sample-rate-hz", "500", "--center-mhz", "28.4"]
    for name, edit in CU8_DATA:
        folder = sb.new(f"cu8-{name}")
        path = folder / "x.cu8"
        path.write_bytes(edit(valid))
        expect = "error" if name in {"empty", "one-byte", "odd"} else "any"
        yield Case(f"cu8-{name}/replay", "cu8:replay", ["replay", str(path), *good], expect=expect)
        yield Case(f"cu8-{name}/decode", "cu8:decode", ["decode", str(path)])
    for name, options in CU8_OPTIONS:
        yield Case(f"cu8-opt-{name}", "cu8:options", ["replay", str(common["cu8"]), *options])
