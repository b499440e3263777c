"""The grab figure: names, frames, the noise-relative colour scale, header, palette, axes."""

from datetime import UTC, datetime

import numpy as np
import pytest

from dsp.spectrogram import GRAB_MARGIN_PX, qrss_resolution, qrss_spectrogram
from station.errors import InputError, RecordingExistsError
from station.qrss.render import (
    GrabFrame,
    Outline,
    frame_starts_utc,
    grab_name,
    render_grab,
)
from station.qrss.settings import GrabSettings, grab_settings
from station.sdr.synthetic import Carrier, SyntheticSource

T0 = datetime(2013, 10, 9, 18, 0, tzinfo=UTC)


def test_grab_is_a_png_with_its_conventional_name_and_never_overwritten(tmp_path):
    x = np.random.default_rng(0).standard_normal(200 * 120).astype(np.complex64)
    spec = qrss_spectrogram(x, 200.0, bin_hz=0.5, span_hz=50.0)
    path = tmp_path / grab_name("G4ABC/P", T0)
    assert path.name == "G4ABC-P_10m_20131009_1800Z.png"
    look = GrabSettings(tmp_path, callsign="G4ABC/P", grid="IO91wm")
    out = render_grab(spec, path, frame=GrabFrame(T0, 600), look=look, dial_freq_hz=28.4e6,
                      outlines=[Outline(0, 30, "lime")])  # fmt: skip
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    with pytest.raises(RecordingExistsError):
        render_grab(spec, path, frame=GrabFrame(T0, 600), look=look, dial_freq_hz=None)
    assert out.read_bytes() == data


def test_frames_are_aligned_to_the_clock():
    t0 = datetime(2013, 10, 9, 18, 5, 0, tzinfo=UTC)
    assert [f"{t:%H:%M}" for t in frame_starts_utc(t0, 1200.0)] == ["18:00", "18:10", "18:20"]


def test_bad_palette_and_ranges_are_one_line_errors():
    with pytest.raises(InputError, match="--palette='nope' is not a matplotlib colormap"):
        grab_settings("g", palette="nope")
    with pytest.raises(InputError, match="--db-max=1.0 must be above --db-min=5.0"):
        grab_settings("g", db_min=5.0, db_max=1.0)
    with pytest.raises(InputError, match="names no command"):
        grab_settings("g", on_grab="  ")
    assert grab_settings("g", on_grab="up 'a b' {path}").on_grab == ("up", "a b", "{path}")


def _axes_texts(fig_path, monkeypatch, **kw):
    """Render and return the x tick labels, x label and stamp the figure was given."""
    import matplotlib.axes

    seen = {}
    real = matplotlib.axes.Axes.set_xticklabels

    def spy(self, labels, *a, **k):
        seen["ticks"] = list(labels)
        return real(self, labels, *a, **k)

    monkeypatch.setattr(matplotlib.axes.Axes, "set_xticklabels", spy)
    x = np.random.default_rng(1).standard_normal(200 * 60).astype(np.complex64)
    spec = qrss_spectrogram(x, 200.0, bin_hz=1.0, span_hz=50.0)
    render_grab(spec, fig_path, dial_freq_hz=None, **kw)
    return seen["ticks"]


def test_stacked_frames_tick_time_into_the_round_and_no_start_time_is_said(tmp_path, monkeypatch):
    look = GrabSettings(tmp_path)
    ticks = _axes_texts(tmp_path / "s.png", monkeypatch, look=look,
                        frame=GrabFrame(T0, 60.0, into_round=True))  # fmt: skip
    assert ticks[:3] == ["0:00", "0:05", "0:10"] and ticks[-1] == "1:00"
    ticks = _axes_texts(tmp_path / "n.png", monkeypatch, look=look,
                        frame=GrabFrame(None, 60.0, elapsed_s=120.0))  # fmt: skip
    assert ticks[0] == "2:00"
    ticks = _axes_texts(tmp_path / "u.png", monkeypatch, look=look, frame=GrabFrame(T0, 600.0))
    assert ticks[:2] == ["18:00", "18:01"]


def _qrss30_at(snr2500_db: float) -> np.ndarray:
    """HI at QRSS30, 20 Hz above a 2 kS/s channel's centre, from 30 s, over 10 minutes."""
    src = SyntheticSource(center_freq_hz=28.25e6, sample_rate_hz=2000.0, seed=4,
                          carriers=[Carrier(28.25e6 + 20.0, "HI", 30.0, 30.0, snr2500_db)],
                          start_utc=T0, duration_s=600.0)  # fmt: skip
    src.open()
    return np.concatenate([b.samples for b in iter(lambda: src.read(1 << 18), None)])


def test_a_trace_at_minus_30_db_snr2500_stands_out_of_the_noise(tmp_path):
    """Measured in the PNG (gray palette): the trace's pixels vs the noise's."""
    import matplotlib.image

    res = qrss_resolution(30.0, 600.0)
    spec = qrss_spectrogram(_qrss30_at(-30.0), 2000.0, bin_hz=res.bin_hz, span_hz=100.0)
    look = GrabSettings(tmp_path, palette="gray", receiver="RTL-SDR V3", antenna="dipole")
    path = render_grab(spec, tmp_path / "g.png", frame=GrabFrame(T0, 600.0), look=look,
                       dial_freq_hz=28.25e6, width_px=res.width_px)  # fmt: skip
    img = matplotlib.image.imread(path)[:, :, 0]  # gray: R = G = B = colour index / 255
    assert img.shape[1] == res.width_px + GRAB_MARGIN_PX
    left, top, height = 70, 25, img.shape[0] - 70

    def px(t_s, f_hz):  # plot coordinates -> (row, column) of the image
        col = left + int(t_s / 600.0 * res.width_px)
        row = top + int((50.0 - f_hz) / 100.0 * height)
        return row, col

    # H = 4 dits, 30..240 s: the trace's row (the brightest within +-2 px of 20 Hz) in
    # the middle of each dit, against rows of noise at the same times
    times = [t for k in range(4) for t in np.arange(34.0, 56.0, 1.0) + 60.0 * k]
    row0, _ = px(0.0, 20.0)
    rows = range(row0 - 2, row0 + 3)
    trace = max(([img[r, px(t, 20.0)[1]] for t in times] for r in rows), key=np.mean)
    noise = [img[px(t, f)] for t in times for f in (-30.0, -10.0, 5.0, 35.0)]
    contrast = float(np.mean(trace) - np.mean(noise))
    print(f"contrast {contrast:.3f} of the scale, {contrast / np.std(noise):.1f} noise sigmas")
    # measured 0.37 of the scale and 2.9 sigmas; without averaging the 1000 bins into
    # rows (render.fit_rows) most were dropped when drawn and the trace hardly showed
    assert contrast > 0.3, contrast  # of the full scale (0..1)
    assert contrast > 2.5 * np.std(noise)  # stands out of the noise's texture
