"""Shared by the radiometer tests: the HI template over rounds and Waves-like noise."""

from __future__ import annotations

import numpy as np

from dsp.radiometer import template_standard_errors

HI_S = [(0, 30), (60, 90), (120, 150), (180, 210), (300, 330), (360, 390)]
Q_STEP = 5.1e-9  # amplitude quantization of the real Waves 28.5 MHz channel
FLOOR = 1.5e-15


def schedule(rounds: int = 16, lead_s: float = 1800.0):
    """Sample times, key-downs and round labels of ``rounds`` rounds of HI, 600 s apart."""
    kd, labels = [], []
    for r in range(rounds):
        for a, b in HI_S:
            kd.append((lead_s + 600 * r + a, lead_s + 600 * r + b))
            labels.append(r + 1)
    t = np.arange(0.0, lead_s * 2 + 600 * rounds)
    return t, np.array(kd), labels


def keyed(t, kd):
    """True at samples inside a key-down."""
    return ((t[:, None] >= kd[:, 0]) & (t[:, None] < kd[:, 1])).any(axis=1)


def measure(psd, rng, k=17.0):
    """Square-law samples of true PSD ``psd``, amplitude-quantized as Waves does."""
    x = psd * rng.gamma(k, 1 / k, psd.shape)
    return (np.round(np.sqrt(x) / Q_STEP) * Q_STEP) ** 2


def expected_round_se(t, kd, labels, level=FLOOR):
    """Standard errors (dits, rounds) under the null: the noise measured as quantized."""
    std = np.std(measure(np.full(400_000, level), np.random.default_rng(0)))
    return template_standard_errors(t, kd, labels, np.full(t.size, std))
