"""The planned forward FFT: FFTW and pocketfft agree with numpy, input kept, errors named."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsp.channelize import Channelizer
from dsp.errors import DspValueError
from dsp.fft import ForwardFft, fftw_available

ENGINES = ["scipy", pytest.param("fftw", marks=pytest.mark.skipif(
    not fftw_available(), reason="pyfftw not installed"))]  # fmt: skip


@pytest.mark.parametrize("engine", ENGINES)
@settings(max_examples=30, deadline=None)
@given(size=st.integers(1, 3000), seed=st.integers(0, 2**32 - 1))
def test_matches_numpy_and_keeps_input(engine: str, size: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = (rng.normal(size=size) + 1j * rng.normal(size=size)).astype(np.complex64)
    f = ForwardFft(size, engine)
    f.input[:] = x
    spec = f()
    assert f.engine == engine
    assert spec.dtype == np.complex64 and spec.shape == (size,)
    ref = np.fft.fft(x.astype(np.complex128))
    scale = max(1.0, float(np.abs(ref).max()))
    assert np.abs(spec - ref).max() / scale < 1e-5
    np.testing.assert_array_equal(f.input, x)  # a second call sees the same data
    np.testing.assert_array_equal(f(), spec)


def test_auto_prefers_fftw_when_installed() -> None:
    assert ForwardFft(16).engine == ("fftw" if fftw_available() else "scipy")


def test_without_pyfftw(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyfftw", None)  # import pyfftw -> ImportError
    assert not fftw_available()
    assert ForwardFft(16).engine == "scipy"
    with pytest.raises(DspValueError, match=r"engine='fftw' needs pyfftw"):
        ForwardFft(16, "fftw")
    assert Channelizer(48000.0, [0.0], 2000.0).fft_engine == "scipy"


@pytest.mark.parametrize(
    ("size", "engine", "match"),
    [(0, "scipy", r"size=0 must be"), (True, "scipy", r"size=True"), (2.5, "scipy", r"size=2.5"),
     (8, "fastest", r"engine='fastest' must be one of auto, fftw, scipy")],
)  # fmt: skip
def test_bad_arguments(size: object, engine: str, match: str) -> None:
    with pytest.raises(DspValueError, match=match):
        ForwardFft(size, engine)  # type: ignore[arg-type]


@pytest.mark.skipif(not fftw_available(), reason="pyfftw not installed")
def test_channelizer_engines_agree() -> None:
    rng = np.random.default_rng(7)
    x = (rng.normal(size=300_000) + 1j * rng.normal(size=300_000)).astype(np.complex64)
    outs = []
    for engine in ("scipy", "fftw"):
        bank = Channelizer(240_000.0, [-25_000.0, 5_000.0, 35_001.0], 2000.0,
                           passband_hz=1600.0, fft_engine=engine)  # fmt: skip
        assert bank.fft_engine == engine
        outs.append(np.concatenate([bank.process(x[:77_777]), bank.process(x[77_777:]),
                                    bank.flush()], axis=1))  # fmt: skip
    assert outs[0].shape == outs[1].shape == (3, 2500)
    assert np.abs(outs[0] - outs[1]).max() < 1e-5 * np.abs(outs[0]).max()
