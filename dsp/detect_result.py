"""What a search of :mod:`dsp.detect` reports: its track's elements and its tests.

One home for the :class:`~dsp.results.RoundResult` of every search (a round, the
straight stacks, the wandering stack): per-element statistics and SNR along the
track, the presence and keying probabilities summed (a union bound), the track's
frequency at each round's first key-down.
"""

from __future__ import annotations

import numpy as np

from dsp.results import DitResult, KeyingTest, RoundResult
from dsp.stack import family_false_alarm

__all__ = ["round_result", "snr2500_db"]


def round_result(geo, rounds, index: int, on_values, s_on: float, dof: int, presence: float,
                 keying: KeyingTest, pfa: float, starts_hz, drift_hz_per_s: float,
                 offset_s: float, across: bool) -> RoundResult:  # fmt: skip
    """Return the result of a search: per-element values along its track, and its tests.

    ``geo`` is the search's :class:`dsp.detect_geometry.Geometry`, ``rounds`` its
    :class:`dsp.detect_geometry.Round` list; ``starts_hz`` the track's baseband
    frequency at each round's first key-down (one for a single round); ``across``
    reports them as ``track_hz``.
    """
    pieces = geo.pieces
    shift_s = rounds[0].start_s + offset_s
    on = pieces.intervals_s[: pieces.n_on]
    lengths = on[:, 1] - on[:, 0]
    dits = []
    for i in range(pieces.n_on):
        value = float(on_values[i])
        rho = value / dof - 1.0  # Es/N0 of the element, averaged over rounds
        p_value = family_false_alarm(value, dof, 1)
        dits.append(DitResult(
            start_s=float(on[i, 0] + shift_s), stop_s=float(on[i, 1] + shift_s),
            statistic=value, snr2500_db=snr2500_db(rho, lengths[i]),
            false_alarm_probability=p_value, detected=p_value <= pfa,
        ))  # fmt: skip
    rho_total = (s_on - pieces.n_on * dof) / dof
    return RoundResult(
        index=index,
        start_s=float(on[0, 0] + rounds[0].start_s),
        statistic=float(s_on),
        false_alarm_probability=min(1.0, presence + keying.false_alarm_probability),
        detected=bool(presence <= pfa / 2 and keying.keyed),
        freq_hz=float(geo.center_hz + starts_hz[0]),
        drift_hz_per_s=float(drift_hz_per_s),
        snr2500_db=snr2500_db(rho_total, float(lengths.sum())),
        dits=tuple(dits),
        presence_false_alarm_probability=presence,
        keying=keying,
        timing_offset_s=float(offset_s),
        track_hz=tuple(float(geo.center_hz + f) for f in starts_hz) if across else (),
    )


def snr2500_db(es_n0: float, keydown_s: float) -> float | None:
    """SNR2500 in dB of a carrier with ``es_n0`` over ``keydown_s`` of key-down (None if <= 0).

    Examples
    --------
    >>> round(snr2500_db(75.0, 30.0), 1)
    -30.0
    """
    if es_n0 <= 0:
        return None
    return float(10 * np.log10(es_n0 / (keydown_s * 2500.0)))
