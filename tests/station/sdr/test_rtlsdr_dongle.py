"""The pyrtlsdr dongle source: lazy import, actionable errors, and the library boundary."""

from __future__ import annotations

import builtins
import ctypes
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from station.errors import InputError, SourceError
from station.sdr.base import IQSource
from station.sdr.rtlsdr_dongle import RtlSdrSource
from station.sdr.rtltcp import cu8_to_complex64

ROOT = Path(__file__).resolve().parents[3]


def make(**kwargs) -> RtlSdrSource:
    return RtlSdrSource(**({"center_freq_hz": 28.2e6, "sample_rate_hz": 240e3} | kwargs))


def test_importing_the_module_does_not_import_rtlsdr():
    code = "import sys, station.sdr.rtlsdr_dongle, station.sdr.spec; print('rtlsdr' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize(
    "exc",
    [ImportError("Error loading librtlsdr. Make sure librtlsdr is in your path"),
     AttributeError("librtlsdr.so.0: undefined symbol: rtlsdr_set_dithering"),
     OSError("libusb-1.0.so.0: cannot open shared object file")],
)  # fmt: skip
def test_missing_or_broken_library_gives_one_actionable_line(monkeypatch, exc):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "rtlsdr" or name.startswith("rtlsdr."):
            raise exc
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    src = make()
    assert isinstance(src, IQSource)
    with pytest.raises(SourceError) as err:
        src.open()
    msg = str(err.value)
    assert "\n" not in msg
    assert "pip install 'hi-station[rtlsdr]'" in msg and "pyrtlsdrlib" in msg
    assert str(exc).split()[0] in msg


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"sample_rate_hz": 500e3}, "sample_rate_hz"), ({"center_freq_hz": 14e6}, "center_freq_hz"),
     ({"device": " "}, "device")],
)  # fmt: skip
def test_settings_are_checked_before_the_library_is_touched(monkeypatch, kwargs, match):
    monkeypatch.setitem(sys.modules, "rtlsdr", None)  # any import attempt would fail loudly
    with pytest.raises(InputError, match=match):
        make(**kwargs)


def test_device_index_or_serial():
    assert make(device="0").device == 0
    assert make(device=3).device == 3
    assert make(device="00000001").device == "00000001"
    assert make(device="NESDR42").device == "NESDR42"


class FakeRtlSdr:
    """Stands in for pyrtlsdr's RtlSdr at the library boundary; reuses its read buffer."""

    opened: list = []

    def __init__(self, device_index=0, serial_number=None):
        self.calls: list = []
        self.buffer = None
        self.counter = 0
        FakeRtlSdr.opened.append(self)
        self.device_index, self.serial_number = device_index, serial_number

    def __setattr__(self, name, value):
        if name in ("sample_rate", "center_freq", "freq_correction", "gain"):
            self.calls.append((name, value))
        object.__setattr__(self, name, value)

    def set_direct_sampling(self, mode):
        self.calls.append(("direct_sampling", mode))

    def get_tuner_type(self):
        return 5

    def read_bytes(self, num_bytes):
        assert num_bytes % 512 == 0
        if self.buffer is None or len(self.buffer) != num_bytes:
            self.buffer = (ctypes.c_ubyte * num_bytes)()
        for i in range(num_bytes):  # the same buffer, overwritten, like pyrtlsdr's
            self.buffer[i] = (self.counter + i) % 256
        self.counter += num_bytes
        return self.buffer

    def close(self):
        self.calls.append(("close", None))


@pytest.fixture
def fake_rtlsdr(monkeypatch):
    FakeRtlSdr.opened = []
    monkeypatch.setitem(sys.modules, "rtlsdr", types.SimpleNamespace(RtlSdr=FakeRtlSdr))
    return FakeRtlSdr


def test_open_tunes_with_direct_sampling_off_and_copies_the_reused_buffer(fake_rtlsdr):
    src = make(gain_db=None)
    info = src.open()
    sdr = fake_rtlsdr.opened[0]
    assert sdr.calls[:4] == [("direct_sampling", 0), ("sample_rate", 240_000),
                             ("center_freq", 28_200_000), ("gain", "auto")]  # fmt: skip
    assert not any(name == "freq_correction" for name, _ in sdr.calls)  # 0 ppm: left alone
    assert info.hardware == "RTL-SDR R820T (index 0) via pyrtlsdr" and info.datatype == "cu8"
    a, b = src.read(300), src.read(1000)
    assert (a.start_sample, b.start_sample) == (0, 300)
    expected = (np.arange(8192 * 2, 8192 * 2 + 2600) % 256).astype(np.uint8)
    assert a.raw + b.raw == expected.tobytes()  # a's bytes survived the buffer's reuse
    assert np.array_equal(b.samples, cu8_to_complex64(expected[600:]))
    src.close()
    assert sdr.calls[-1] == ("close", None)


def test_serial_gain_and_ppm_reach_the_library(fake_rtlsdr):
    src = make(device="00000001", gain_db=29.7, freq_correction_ppm=-12)
    info = src.open()
    sdr = fake_rtlsdr.opened[0]
    assert sdr.serial_number == "00000001"
    assert ("freq_correction", -12) in sdr.calls and ("gain", 29.7) in sdr.calls
    assert info.gain_db == 29.7 and info.freq_correction_ppm == -12


def test_a_dongle_that_cannot_be_opened_is_one_line(monkeypatch):
    def refuse(**kwargs):
        raise OSError("Could not open SDR (device index = 0)")

    monkeypatch.setitem(sys.modules, "rtlsdr", types.SimpleNamespace(RtlSdr=refuse))
    with pytest.raises(SourceError, match="RTL-SDR index 0: cannot open") as err:
        make().open()
    assert "\n" not in str(err.value)


def _dongle_present() -> bool:
    try:
        from rtlsdr.librtlsdr import librtlsdr
    except (ImportError, AttributeError, OSError):
        return False
    return librtlsdr.rtlsdr_get_device_count() > 0


@pytest.mark.hardware
def test_real_dongle_reads_samples():
    if not _dongle_present():
        pytest.skip("no RTL-SDR dongle (or no pyrtlsdr/librtlsdr) present")
    with make(sample_rate_hz=2.4e6) as src:
        info = src.open()
        block = src.read(65536)
    assert info.start_utc is not None and "RTL-SDR" in info.hardware
    assert block.samples.size == 65536 and len(block.raw) == 2 * 65536
    assert np.all(np.abs(block.samples.real) <= 1) and np.all(np.abs(block.samples.imag) <= 1)
