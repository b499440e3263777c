"""The Waves figure as a scientist reads it: read back from the Figure and its PNG.

One small synthetic survey (HFRH band, 22 minutes, keyed rounds 1 and 2, a 10-s gap
inside a dit of round 1, the data ending inside round 2) rendered once per module.
"""

from __future__ import annotations

import io
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from station.schedule import load_event
from station.waves._plot_data import display_source, freq_axis_scale
from station.waves.analyze import analyze_series
from station.waves.das2 import read_das2
from station.waves.load import load_waves
from station.waves.plot import DETECTED, MISSED, VETOED, waves_figure
from station.waves.series import WavesSeries, parse_unix_s
from station.waves.workflow import BAND_HZ

EVENT = load_event("juno-2013-10-09")
INSTALLED = os.path.join(os.sep, "usr", "lib", "python3", "site-packages", "station", "samples")
NAME = "WAV_2013282T173000_E_V02.CSV.gz"
GAP_UNIX_S = (parse_unix_s("2013-10-09T18:02:10Z"), parse_unix_s("2013-10-09T18:02:20Z"))
END_UNIX_S = parse_unix_s("2013-10-09T18:12:15Z")  # inside round 2's third dit


def _survey() -> WavesSeries:
    rng = np.random.default_rng(3)
    t = np.arange(parse_unix_s("2013-10-09T17:55:00Z"), END_UNIX_S + 0.5, 1.0)
    t = t[(t < GAP_UNIX_S[0]) | (t >= GAP_UNIX_S[1])]
    freq = (3.5 + np.arange(38)) * 1e6
    power = 1.5e-15 * rng.gamma(17.0, 1 / 17.0, (t.size, freq.size))
    k = int(np.argmin(np.abs(freq - 28.5e6)))
    into = (t - EVENT.start_utc.timestamp()) % EVENT.round_period_s
    on = np.zeros(t.size, bool)
    into[t < EVENT.start_utc.timestamp()] = -1.0  # no keying before round 1
    for a, b in EVENT.key_down_s:
        on |= (into >= a) & (into < b)
    # strong, varying keying: the pixels under a box must follow it
    power[on, k] *= 1 + 6 * rng.random(on.sum())
    return WavesSeries(t, freq, np.full(freq.size, 1e6), power,
                       os.path.join(INSTALLED, NAME), "pds-csv")


@pytest.fixture(scope="module")
def drawn():
    series = _survey()
    analysis = analyze_series(series, EVENT)
    fig = waves_figure(series, analysis)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")  # no tight bbox: PNG pixels = display coordinates
    return series, analysis, fig, buf.getvalue()


def _boxes(fig):
    from matplotlib.colors import to_hex
    from matplotlib.patches import Rectangle

    colours = {DETECTED, MISSED, VETOED}
    return [p for p in fig.axes[0].patches
            if isinstance(p, Rectangle) and to_hex(p.get_edgecolor()) in colours]


def _num(unix_s: float) -> float:
    import matplotlib.dates as mdates

    from station.utc import utc_from_unix_s

    return float(mdates.date2num(utc_from_unix_s(unix_s)))


def test_dits_are_thin_unfilled_outlines(drawn):
    _series, analysis, fig, _png = drawn
    boxes = _boxes(fig)
    assert len(boxes) == 6 + 1 + 3  # round 1 (one dit split by the gap), round 2 up to the end
    assert all(not b.get_fill() and b.get_linewidth() <= 1.0 for b in boxes)
    assert any(d.detected for d in analysis.dits)  # green boxes are drawn, not only grey


def test_frequency_axis_is_log_unless_the_file_says_linear(drawn):
    series, analysis, fig, _png = drawn
    assert fig.axes[0].get_yscale() == "log"
    assert "log" in fig.axes[0].get_ylabel()
    linear = waves_figure(replace(series, freq_scale="linear"), analysis)
    assert linear.axes[0].get_yscale() == "linear"


def test_the_waves_das2_header_asks_for_log_and_the_loader_keeps_it():
    excerpt = Path(__file__).parent / "data" / "juno_waves_excerpt_2017-01-01.d2t"
    assert {s.freq_scale for s in read_das2(excerpt)} == {"log"}  # yScaleType="log"
    band = load_waves(excerpt, channels_hz=[28.5e6], keep_hz=BAND_HZ)
    assert band.freq_scale == "log" and freq_axis_scale(band) == "log"
    assert freq_axis_scale(replace(band, freq_scale="linear")) == "linear"
    assert freq_axis_scale(replace(band, freq_scale="", file_format="pds-csv")) == "log"


def test_boxes_stop_at_the_data_end_and_at_gaps(drawn):
    series, analysis, fig, _png = drawn
    t0, t1 = _num(series.time_unix_s[0]), _num(series.time_unix_s[-1])
    gap = (_num(GAP_UNIX_S[0]), _num(GAP_UNIX_S[1] - 1.0))  # last missing row
    eps = 1e-9
    for b in _boxes(fig):
        x0, x1 = b.get_x(), b.get_x() + b.get_width()
        assert t0 - eps <= x0 < x1 <= t1 + eps
        assert x1 <= gap[0] + eps or x0 >= gap[1] - eps, "a box spans the gap"
    assert max(b.get_x() + b.get_width() for b in _boxes(fig)) == pytest.approx(t1, abs=1e-8)
    assert fig.axes[0].get_xlim()[1] == pytest.approx(t1)
    unseen = sum(parse_unix_s(d.start_utc) >= END_UNIX_S for d in analysis.dits)
    assert unseen > 0 and f"{unseen} of {len(analysis.dits)} dits have no data" in \
        fig.axes[0].get_title(loc="left")


def test_no_install_path_in_any_label(drawn):
    from matplotlib.text import Text

    _series, _analysis, fig, _png = drawn
    texts = [t.get_text() for t in fig.findobj(Text) if t.get_text()]
    assert any(NAME in t for t in texts)
    for text in texts:
        assert "site-packages" not in text and INSTALLED not in text
        assert not any(word.strip("()").startswith(os.sep) for word in text.split()), text
    assert display_source(f"{INSTALLED}/a.CSV + {INSTALLED}/b.CSV") == "a.CSV + b.CSV"


def test_pixels_inside_a_box_still_show_the_data(drawn):
    import matplotlib.image as mpimg

    _series, _analysis, fig, png = drawn
    rgb = mpimg.imread(io.BytesIO(png))[..., :3]
    height = rgb.shape[0]
    ax = fig.axes[0]
    widest = max(_boxes(fig), key=lambda b: b.get_width())
    (x0, y0), (x1, y1) = ax.transData.transform(
        [(widest.get_x(), widest.get_y()),
         (widest.get_x() + widest.get_width(), widest.get_y() + widest.get_height())])
    inside = rgb[int(height - y1) + 2:int(height - y0) - 1, int(x0) + 3:int(x1) - 2]
    assert inside.shape[0] >= 8 and inside.shape[1] >= 8, inside.shape
    colours = np.unique((inside * 255).round().reshape(-1, 3), axis=0)
    assert len(colours) >= 10  # a filled box would be one colour
    assert inside.std(axis=1).mean() > 0.02  # it varies along time, with the data


def test_a_gap_shows_blank_not_bridged(drawn):
    import matplotlib.image as mpimg

    _series, _analysis, fig, png = drawn
    rgb = mpimg.imread(io.BytesIO(png))[..., :3]
    ax = fig.axes[0]
    (x, y0), (_x, y1) = ax.transData.transform(
        [(_num(sum(GAP_UNIX_S) / 2), 4.0), (_num(sum(GAP_UNIX_S) / 2), 35.0)])
    column = rgb[int(rgb.shape[0] - y1):int(rgb.shape[0] - y0), int(x)]
    assert (column > 0.98).all()  # the axes' white background: nothing drawn in the gap
