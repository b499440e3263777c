"""The 126 Waves survey channels and their quiet levels, from the real das2 sample.

Frequencies: LFRL, LFRH and HFRL centres as the das2 stream gives them (4 significant
figures); HFRH centres are exactly 3.5 + k MHz (reference/waves-survey-format.md §3).
Levels: the median of each channel over the 300 sweeps of
``../shared/data/juno_waves_sample_2017-01-01.d2t`` (2017-01-01 00:00-00:05 UTC,
das-developers/das2C ``test/juno_waves_sample.d2t`` @ f394e6ff), V²/m²/Hz.  The
simulator uses them as the true background of every channel but the event channel,
whose floor is fitted in :mod:`station.waves.physics`.

Examples
--------
>>> len(SURVEY_CHANNELS), SURVEY_CHANNELS[113]
(126, (28500000.0, 1.28e-15, 'HFRH'))
>>> float(noise_bandwidths_hz()[113])
1000000.0
"""

from __future__ import annotations

import numpy as np

__all__ = ["SURVEY_CHANNELS", "noise_bandwidths_hz"]

#: (centre Hz, quiet median V²/m²/Hz, band) in file order (bands not in frequency order).
SURVEY_CHANNELS: tuple[tuple[float, float, str], ...] = (
    # LFRL: 43 channels
    (48.83, 1.58e-12, "LFRL"),
    (97.66, 8.81e-13, "LFRL"),
    (146.5, 4.32e-13, "LFRL"),
    (195.3, 2.57e-13, "LFRL"),
    (244.1, 1.54e-13, "LFRL"),
    (293, 1.05e-13, "LFRL"),
    (341.8, 7.61e-14, "LFRL"),
    (390.6, 6.17e-14, "LFRL"),
    (439.4, 5.21e-14, "LFRL"),
    (488.3, 4.73e-14, "LFRL"),
    (537.1, 3.78e-14, "LFRL"),
    (585.9, 2.82e-14, "LFRL"),
    (634.8, 2.47e-14, "LFRL"),
    (708, 1.96e-14, "LFRL"),
    (805.7, 1.52e-14, "LFRL"),
    (903.3, 1.3e-14, "LFRL"),
    (1001, 1.14e-14, "LFRL"),
    (1123, 4.09e-14, "LFRL"),
    (1270, 1.78e-13, "LFRL"),
    (1416, 2.67e-13, "LFRL"),
    (1587, 4.55e-13, "LFRL"),
    (1782, 6.32e-13, "LFRL"),
    (2002, 5.75e-13, "LFRL"),
    (2246, 1.99e-13, "LFRL"),
    (2515, 1.2e-13, "LFRL"),
    (2832, 7.24e-14, "LFRL"),
    (3174, 7.24e-14, "LFRL"),
    (3540, 6.38e-14, "LFRL"),
    (3980, 4.42e-14, "LFRL"),
    (4468, 1.45e-14, "LFRL"),
    (5005, 8.37e-15, "LFRL"),
    (5615, 7.04e-15, "LFRL"),
    (6299, 5.51e-15, "LFRL"),
    (7080, 4.88e-15, "LFRL"),
    (7959, 4.87e-15, "LFRL"),
    (8936, 4.42e-15, "LFRL"),
    (1.001e+04, 3.89e-15, "LFRL"),
    (1.123e+04, 3.7e-15, "LFRL"),
    (1.262e+04, 3.67e-15, "LFRL"),
    (1.416e+04, 3.65e-15, "LFRL"),
    (1.587e+04, 3.81e-15, "LFRL"),
    (1.78e+04, 4.5e-15, "LFRL"),
    (1.997e+04, 5.05e-15, "LFRL"),
    # LFRH: 18 channels
    (1.996e+04, 1.13e-15, "LFRH"),
    (2.234e+04, 1.05e-15, "LFRH"),
    (2.508e+04, 9.66e-16, "LFRH"),
    (2.82e+04, 8.31e-16, "LFRH"),
    (3.168e+04, 7.52e-16, "LFRH"),
    (3.552e+04, 6.86e-16, "LFRH"),
    (3.992e+04, 6.31e-16, "LFRH"),
    (4.486e+04, 6.3e-16, "LFRH"),
    (5.017e+04, 6.28e-16, "LFRH"),
    (5.621e+04, 5.93e-16, "LFRH"),
    (6.317e+04, 6.57e-16, "LFRH"),
    (7.086e+04, 6.51e-16, "LFRH"),
    (7.947e+04, 6.74e-16, "LFRH"),
    (8.917e+04, 6.88e-16, "LFRH"),
    (1.002e+05, 7.56e-16, "LFRH"),
    (1.124e+05, 8.31e-16, "LFRH"),
    (1.262e+05, 9.13e-16, "LFRH"),
    (1.415e+05, 1e-15, "LFRH"),
    # HFRL: 27 channels
    (1.401e+05, 1.59e-13, "HFRL"),
    (1.572e+05, 2.04e-12, "HFRL"),
    (1.777e+05, 5.61e-12, "HFRL"),
    (1.982e+05, 2.46e-11, "HFRL"),
    (2.222e+05, 2.06e-11, "HFRL"),
    (2.495e+05, 2.74e-12, "HFRL"),
    (2.803e+05, 7.8e-13, "HFRL"),
    (3.144e+05, 7.22e-14, "HFRL"),
    (3.52e+05, 2.11e-14, "HFRL"),
    (3.965e+05, 1.22e-13, "HFRL"),
    (4.478e+05, 4.67e-14, "HFRL"),
    (5.024e+05, 1.61e-14, "HFRL"),
    (5.64e+05, 6.91e-14, "HFRL"),
    (6.323e+05, 1.06e-13, "HFRL"),
    (7.075e+05, 8.88e-14, "HFRL"),
    (7.964e+05, 2.31e-13, "HFRL"),
    (8.955e+05, 4e-13, "HFRL"),
    (1.002e+06, 6.46e-13, "HFRL"),
    (1.121e+06, 1.2e-12, "HFRL"),
    (1.261e+06, 1.24e-12, "HFRL"),
    (1.415e+06, 6.57e-13, "HFRL"),
    (1.586e+06, 2.67e-12, "HFRL"),
    (1.781e+06, 5.53e-13, "HFRL"),
    (2e+06, 6.06e-13, "HFRL"),
    (2.242e+06, 1.23e-12, "HFRL"),
    (2.516e+06, 9.87e-13, "HFRL"),
    (2.823e+06, 4.4e-13, "HFRL"),
    # HFRH: 38 channels
    (3.5e+06, 5.87e-17, "HFRH"),
    (4.5e+06, 5.87e-17, "HFRH"),
    (5.5e+06, 5.87e-17, "HFRH"),
    (6.5e+06, 5.87e-17, "HFRH"),
    (7.5e+06, 5.87e-17, "HFRH"),
    (8.5e+06, 6.51e-15, "HFRH"),
    (9.5e+06, 4.07e-17, "HFRH"),
    (1.05e+07, 4.07e-17, "HFRH"),
    (1.15e+07, 4.07e-17, "HFRH"),
    (1.25e+07, 1.67e-15, "HFRH"),
    (1.35e+07, 4.07e-17, "HFRH"),
    (1.45e+07, 4.07e-17, "HFRH"),
    (1.55e+07, 2.35e-16, "HFRH"),
    (1.65e+07, 2.35e-16, "HFRH"),
    (1.75e+07, 4.07e-17, "HFRH"),
    (1.85e+07, 4.07e-17, "HFRH"),
    (1.95e+07, 2.35e-16, "HFRH"),
    (2.05e+07, 2.39e-13, "HFRH"),
    (2.15e+07, 2.01e-13, "HFRH"),
    (2.25e+07, 4.07e-17, "HFRH"),
    (2.35e+07, 2.35e-16, "HFRH"),
    (2.45e+07, 2.35e-16, "HFRH"),
    (2.55e+07, 2.35e-16, "HFRH"),
    (2.65e+07, 2.35e-16, "HFRH"),
    (2.75e+07, 6.52e-16, "HFRH"),
    (2.85e+07, 1.28e-15, "HFRH"),
    (2.95e+07, 1.28e-15, "HFRH"),
    (3.05e+07, 1.67e-15, "HFRH"),
    (3.15e+07, 2.61e-15, "HFRH"),
    (3.25e+07, 1.28e-15, "HFRH"),
    (3.35e+07, 6.52e-16, "HFRH"),
    (3.45e+07, 6.52e-16, "HFRH"),
    (3.55e+07, 6.52e-16, "HFRH"),
    (3.65e+07, 2.35e-16, "HFRH"),
    (3.75e+07, 1.28e-15, "HFRH"),
    (3.85e+07, 2.35e-16, "HFRH"),
    (3.95e+07, 2.61e-15, "HFRH"),
    (4.05e+07, 3.03e-14, "HFRH"),
)  # fmt: skip


def noise_bandwidths_hz() -> np.ndarray:
    """Header line 5 for simulated files: 1 MHz for HFRH (event FAQ), else an estimate.

    The PDS value is unverified (reference §8); outside HFRH the spacing to the next
    channel of the same band stands in for it (an assumption, used only in headers).
    """
    freq = np.array([c[0] for c in SURVEY_CHANNELS])
    band = [c[2] for c in SURVEY_CHANNELS]
    out = np.empty(freq.size)
    for k in range(freq.size):
        if band[k] == "HFRH":
            out[k] = 1.0e6
            continue
        same = [j for j in (k + 1, k - 1) if 0 <= j < freq.size and band[j] == band[k]]
        out[k] = abs(freq[same[0]] - freq[k]) if same else freq[k] / 10
    return out
