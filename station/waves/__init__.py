"""Juno Waves survey data: readers, the flyby simulator and the HI analyzer.

:mod:`~station.waves.series` is the one in-memory shape every reader returns.
"""

from station.waves.analyze import WavesAnalysis, WavesDit, WavesRound, analyze_series
from station.waves.load import load_waves
from station.waves.series import WavesSeries
from station.waves.simulate import Prediction, Simulation, SimulationConfig, predict, simulate

__all__ = [
    "Prediction",
    "Simulation",
    "SimulationConfig",
    "WavesAnalysis",
    "WavesDit",
    "WavesRound",
    "WavesSeries",
    "analyze_series",
    "load_waves",
    "predict",
    "simulate",
]
