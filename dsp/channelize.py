"""Streaming whole-band channelizer: an FFT overlap-save fast-convolution filter bank.

One forward FFT of size ``N = D * Nc`` per hop of ``L`` input samples covers the whole
band; each channel then takes the ``Nc`` bins around its offset, weights them with the
channel filter's frequency response and inverse-transforms them with a size-``Nc``
FFT, which filters and decimates by ``D`` in one step.  Cost per input sample is about
one FFT pass (``N / L`` of them) whatever the number of channels, in constant memory.

Filter: a zero-phase Kaiser-window FIR lowpass, flat over ``+-passband_hz / 2`` and at
least :data:`STOPBAND_DB` down from ``+-out_rate_hz / 2`` outward, so nothing aliases
into the output band above the stopband level.  The filter is applied exactly (linear,
not circular, convolution: every kept output lies in the valid part of its FFT frame).

Timing: output sample ``m`` of every channel is the filtered channel at input sample
``m * D`` (no group delay; the stream is treated as zero before sample 0 and after the
last sample), so the output rate is exactly ``sample_rate_hz / D``.  The output is the
same, bit for bit, however the input is split into blocks.

Frequency: a channel is centred on the FFT bin nearest its offset (bins are
``bin_hz = sample_rate_hz / N`` apart); an offset that is not on that grid is finished
by a phase-continuous NCO after decimation (``exp(-2 pi i r m / out_rate_hz)`` with the
residual ``r`` and the absolute output index ``m``), so every channel is centred
exactly on its offset.  The passband then sits within ``bin_hz / 2`` of the offset.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import scipy.fft
import scipy.signal

from dsp.errors import DspValueError
from dsp.fft import Engine, ForwardFft

__all__ = [
    "STOPBAND_DB",
    "Channelizer",
    "band_channels",
    "channel_offsets_for",
    "cu8_to_complex64",
    "nearest_out_rate_hz",
]

#: Designed stopband attenuation of the channel filter, dB.
STOPBAND_DB = 80.0
_MIN_FFT = 1 << 18  # FFT sizes up to this are always considered


def _finite(name: str, value: float) -> float:
    value = float(value)
    if not math.isfinite(value):
        raise DspValueError(f"{name}={value} must be finite")
    return value


def nearest_out_rate_hz(sample_rate_hz: float, out_rate_hz: float) -> float:
    """Return the valid output rate (``sample_rate_hz`` / integer) nearest ``out_rate_hz``.

    Examples
    --------
    >>> nearest_out_rate_hz(2.4e6, 2000.0), round(nearest_out_rate_hz(2.048e6, 3000.0), 3)
    (2000.0, 2998.536)
    """
    fs = _finite("sample_rate_hz", sample_rate_hz)
    out = _finite("out_rate_hz", out_rate_hz)
    if not (fs > 0 and out > 0):
        raise DspValueError(f"sample_rate_hz={fs:g} and out_rate_hz={out:g} must be > 0 Hz")
    return fs / max(1, round(fs / out))


def channel_offsets_for(
    center_freq_hz: float, freqs_hz: Sequence[float] | np.ndarray
) -> np.ndarray:
    """Baseband offsets (Hz, relative to the tuned centre) of absolute RF frequencies.

    Examples
    --------
    >>> channel_offsets_for(28.5e6, [28.02e6, 28.5e6, 28.98e6])
    array([-480000.,       0.,  480000.])
    """
    center = _finite("center_freq_hz", center_freq_hz)
    f = np.asarray(freqs_hz, dtype=np.float64).reshape(-1)
    if f.size == 0:
        raise DspValueError("freqs_hz is empty; give at least one frequency")
    if not np.all(np.isfinite(f)):
        raise DspValueError(f"freqs_hz={f.tolist()} must all be finite")
    return f - center


def band_channels(
    center_freq_hz: float, low_hz: float, high_hz: float, spacing_hz: float
) -> np.ndarray:
    """Offsets of channels ``spacing_hz`` wide that tile the RF band ``[low_hz, high_hz]``.

    Channel ``k`` is centred on ``low_hz + (k + 1/2) * spacing_hz``; as many whole
    channels as fit are returned, as offsets from ``center_freq_hz``.

    Examples
    --------
    >>> band_channels(28.0e6, 28.0e6, 28.008e6, 2000.0)
    array([1000., 3000., 5000., 7000.])
    """
    low = _finite("low_hz", low_hz)
    high = _finite("high_hz", high_hz)
    spacing = _finite("spacing_hz", spacing_hz)
    if not spacing > 0:
        raise DspValueError(f"spacing_hz={spacing:g} must be > 0 Hz")
    if not high - low >= spacing * (1 - 1e-9):
        raise DspValueError(
            f"band [{low:g}, {high:g}] Hz must be at least one channel "
            f"(spacing_hz={spacing:g}) wide"
        )
    n = int(math.floor((high - low) / spacing + 1e-9))
    return channel_offsets_for(center_freq_hz, low + (np.arange(n) + 0.5) * spacing)


def cu8_to_complex64(raw: np.ndarray) -> np.ndarray:
    """Interleaved unsigned 8-bit I/Q (RTL-SDR ``cu8``) to complex64, ``(u8 - 128) / 128``.

    The same scaling as :mod:`sigmf`'s autoscale, so the values match bit for bit.

    Examples
    --------
    >>> cu8_to_complex64(np.array([128, 0, 255, 192], np.uint8))
    array([0.       -1.j , 0.9921875+0.5j], dtype=complex64)
    """
    r = np.asarray(raw)
    if r.dtype != np.uint8 or r.ndim != 1 or r.size % 2:
        raise DspValueError(
            f"raw has dtype {r.dtype} and shape {r.shape}; cu8 needs a 1-D uint8 array of "
            "interleaved I/Q (an even number of bytes)"
        )
    f = np.subtract(r, np.float32(128.0), dtype=np.float32)
    f *= np.float32(1.0 / 128.0)
    return f.view(np.complex64)


def _sizes(limit: int) -> list[int]:
    """Even candidate inverse-FFT sizes ``2**a * 3**b`` (a >= 3) up to ``limit``."""
    out = []
    p3 = 1
    while 8 * p3 <= limit:
        n = 8 * p3
        while n <= limit:
            out.append(n)
            n *= 2
        p3 *= 3
    return sorted(out)


class Channelizer:
    """Split a complex baseband stream into narrow channels, block by block.

    Parameters
    ----------
    sample_rate_hz : float
        Input sample rate, Hz.
    channel_offsets_hz : sequence of float
        Channel centres relative to the input centre (0 Hz), Hz; each within
        ``+-(sample_rate_hz / 2 - out_rate_hz / 2)``.
    out_rate_hz : float
        Output sample rate of every channel, Hz; ``sample_rate_hz / out_rate_hz``
        must be a whole number (see :func:`nearest_out_rate_hz`).
    passband_hz : float, optional
        Width of the flat passband (two-sided), Hz; default ``out_rate_hz / 2``.
        Must be below ``out_rate_hz``; the narrower, the shorter the filter.
    fft_engine : {"auto", "fftw", "scipy"}, optional
        The whole-band FFT (see :mod:`dsp.fft`): FFTW when ``pyfftw`` is installed
        (``auto``, the default), else scipy's pocketfft.

    Attributes
    ----------
    decimation : int
        ``D = sample_rate_hz / out_rate_hz``.
    fft_size, ifft_size, hop : int
        Forward FFT size ``N``, per-channel inverse FFT size ``Nc = N / D`` and input
        samples consumed per forward FFT ``L``.
    taps : int
        Length of the channel filter (input samples).
    bin_hz : float
        Grid of exactly-centred channels, ``sample_rate_hz / N``.
    fft_engine : str
        ``"fftw"`` or ``"scipy"``: the engine in use.
    residual_hz : ndarray
        Per channel, offset minus its grid bin (removed by the NCO).

    Examples
    --------
    >>> fs, out = 48000.0, 2000.0
    >>> ch = Channelizer(fs, [-6000.0, 5001.0], out)  # 5001 Hz is off the bin grid
    >>> n = np.arange(48000)
    >>> x = np.exp(2j * np.pi * 5005.0 * n / fs).astype(np.complex64)  # 4 Hz above channel 1
    >>> y = np.concatenate([ch.process(x[:1000]), ch.process(x[1000:]), ch.flush()], axis=1)
    >>> y.shape, ch.out_rate_hz
    ((2, 2000), 2000.0)
    >>> mid = y[:, 500:1500]
    >>> round(float(np.abs(mid[1]).mean()), 4), bool(np.abs(mid[0]).max() < 1e-3)
    (1.0, True)
    >>> f = np.fft.fftfreq(1000, 1 / out)[np.argmax(np.abs(np.fft.fft(mid[1])))]
    >>> float(f)
    4.0
    """

    def __init__(
        self,
        sample_rate_hz: float,
        channel_offsets_hz: Sequence[float],
        out_rate_hz: float,
        *,
        passband_hz: float | None = None,
        fft_engine: Engine = "auto",
    ) -> None:
        fs = _finite("sample_rate_hz", sample_rate_hz)
        out = _finite("out_rate_hz", out_rate_hz)
        if not fs > 0:
            raise DspValueError(f"sample_rate_hz={fs:g} must be > 0 Hz")
        if not 0 < out <= fs:
            raise DspValueError(f"out_rate_hz={out:g} must be > 0 and <= sample_rate_hz={fs:g} Hz")
        d = round(fs / out)
        if abs(fs / out - d) > 1e-9 * (fs / out):
            raise DspValueError(
                f"out_rate_hz={out:g} must divide sample_rate_hz={fs:g} a whole number of "
                f"times (ratio {fs / out:.4f}); nearest valid: "
                f"{nearest_out_rate_hz(fs, out):.6g} Hz"
            )
        pb = out / 2 if passband_hz is None else _finite("passband_hz", passband_hz)
        if not 0 < pb < out:
            raise DspValueError(f"passband_hz={pb:g} must be > 0 and below out_rate_hz={out:g} Hz")
        offsets = np.asarray(channel_offsets_hz, dtype=np.float64).reshape(-1)
        if offsets.size == 0:
            raise DspValueError("channel_offsets_hz is empty; give at least one channel")
        limit = fs / 2 - out / 2
        for i, f in enumerate(offsets):
            if not math.isfinite(f):
                raise DspValueError(f"channel_offsets_hz[{i}]={f} must be finite")
            if abs(f) > limit * (1 + 1e-12) + 1e-9:
                raise DspValueError(
                    f"channel_offsets_hz[{i}]={f:g} Hz is outside the band: |offset| must "
                    f"be <= sample_rate_hz/2 - out_rate_hz/2 = {limit:g} Hz"
                )
        self.sample_rate_hz = fs
        self.out_rate_hz = fs / d
        self.decimation = d
        self.passband_hz = pb
        self.stopband_db = STOPBAND_DB
        self.channel_offsets_hz = offsets
        offsets.flags.writeable = False
        self._design(len(offsets))
        self._fft = ForwardFft(self.fft_size, fft_engine)
        self.fft_engine = self._fft.engine
        self.reset()

    # -- design ---------------------------------------------------------------------

    def _design(self, n_ch: int) -> None:
        fs, d, out = self.sample_rate_hz, self.decimation, self.out_rate_hz
        width = (out - self.passband_hz) / 2
        taps, beta = scipy.signal.kaiserord(STOPBAND_DB, width / (fs / 2))
        taps |= 1
        half = taps // 2
        best = None
        cap = max(_MIN_FFT, 4 * (taps + d))
        for nc in _sizes(max(8, cap // d)):
            n = d * nc
            q0 = -(-half // d)
            lc = (n - 1 - half) // d - q0 + 1
            if lc < 1 or n > cap and best is not None:
                continue
            cost = (n * math.log2(n) + n_ch * nc * (math.log2(nc) + 4)) / (lc * d)
            if best is None or cost < best[0]:
                best = (cost, nc, q0, lc)
        assert best is not None  # the smallest size always fits: cap >= taps + d
        _, nc, q0, lc = best
        n = d * nc
        h = scipy.signal.firwin(taps, (self.passband_hz + out) / 4, window=("kaiser", beta), fs=fs)
        circ = np.zeros(n)
        circ[: half + 1] = h[half:]
        circ[n - half :] = h[:half]
        resp = scipy.fft.rfft(circ, workers=1).real  # zero-phase: real response
        f = scipy.fft.fftfreq(nc, 1 / nc).astype(np.int64)  # bins in FFT order
        self._weights = (resp[np.abs(f)] / d).astype(np.float32)
        self.fft_size, self.ifft_size, self.hop, self.taps = n, nc, lc * d, taps
        self._q0, self._lc = q0, lc
        self.bin_hz = fs / n
        k0 = np.rint(self.channel_offsets_hz / self.bin_hz).astype(np.int64)
        self._k0 = k0
        self.residual_hz = self.channel_offsets_hz - k0 * self.bin_hz
        self.residual_hz[np.abs(self.residual_hz) < 1e-9 * self.bin_hz] = 0.0
        self._res_cycles = self.residual_hz / self.out_rate_hz
        self._idx = (k0[:, None] + f[None, :]) % n

    @property
    def n_channels(self) -> int:
        """Number of channels (rows of every output)."""
        return int(self.channel_offsets_hz.size)

    def reset(self) -> None:
        """Forget the stream: the next sample is sample 0 again."""
        self._fft.input[:] = 0
        self._fill = self._q0 * self.decimation  # zeros before sample 0
        self._frame = 0
        self._n_in = 0
        self._n_out = 0

    # -- streaming ------------------------------------------------------------------

    def _run_frame(self) -> np.ndarray:
        n, hop, d = self.fft_size, self.hop, self.decimation
        buf = self._fft.input
        z = self._fft()[self._idx]
        buf[: n - hop] = buf[hop:]  # the overlap starts the next frame
        z *= self._weights
        z = scipy.fft.ifft(z, axis=1, overwrite_x=True, workers=1)
        start = self._frame * hop - self._q0 * d  # input index of buf[0]
        turns = (self._k0 * (start % n)) % n
        rot = np.exp(-2j * np.pi * turns / n).astype(np.complex64)
        y = z[:, self._q0 : self._q0 + self._lc] * rot[:, None]
        if self._res_cycles.any():
            m = self._frame * self._lc + np.arange(self._lc)
            cyc = np.mod(self._res_cycles[:, None] * m[None, :], 1.0)
            y *= np.exp(-2j * np.pi * cyc).astype(np.complex64)
        self._fill = n - hop
        self._frame += 1
        return y

    def _collect(self, outs: list[np.ndarray]) -> np.ndarray:
        if not outs:
            return np.empty((self.n_channels, 0), np.complex64)
        y = outs[0] if len(outs) == 1 else np.concatenate(outs, axis=1)
        self._n_out += y.shape[1]
        return y

    def _check_block(self, block: np.ndarray) -> np.ndarray:
        x = np.asarray(block)
        if x.ndim != 1:
            raise DspValueError(f"block has shape {x.shape}; expected 1-D complex I/Q")
        if not (np.iscomplexobj(x) or x.size == 0):
            raise DspValueError(f"block has dtype {x.dtype}; expected complex I/Q (complex64)")
        x = np.ascontiguousarray(x, dtype=np.complex64)
        if x.size and not np.isfinite(np.add.reduce(x.view(np.float32))):
            bad = np.flatnonzero(~np.isfinite(x))
            if bad.size:  # (else the sum merely overflowed)
                i = int(bad[0])
                raise DspValueError(
                    f"block[{i}]={x[i]} (stream sample {self._n_in + i}) is not finite; "
                    "samples must be finite"
                )
        return x

    def process(self, block: np.ndarray) -> np.ndarray:
        """Feed the next input samples; return every channel output now complete.

        Parameters
        ----------
        block : ndarray of complex64
            The next samples of the stream, any length (also 0).

        Returns
        -------
        ndarray of complex64, shape (n_channels, m)
            ``m`` is a multiple of ``hop / decimation`` and may be 0; concatenated
            over calls (plus :meth:`flush`) the result does not depend on how the
            input was split.

        Raises
        ------
        DspValueError
            For a block that is not 1-D complex or holds NaN/inf (the state is then
            unchanged).
        """
        x = self._check_block(block)
        outs = []
        pos, total, n = 0, x.size, self.fft_size
        while pos < total:
            k = min(n - self._fill, total - pos)
            self._fft.input[self._fill : self._fill + k] = x[pos : pos + k]
            self._fill += k
            pos += k
            if self._fill == n:
                outs.append(self._run_frame())
        self._n_in += total
        return self._collect(outs)

    def flush(self) -> np.ndarray:
        """End the stream: return the outputs still pending, then :meth:`reset`.

        After :meth:`process` and ``flush`` a stream of ``n`` samples has given
        ``ceil(n / decimation)`` outputs per channel.

        Returns
        -------
        ndarray of complex64, shape (n_channels, m)
        """
        want = -(-self._n_in // self.decimation)
        outs = []
        done = self._n_out
        while done < want:
            self._fft.input[self._fill :] = 0
            y = self._run_frame()
            outs.append(y[:, : want - done])
            done += outs[-1].shape[1]
        y = self._collect(outs)
        self.reset()
        return y
