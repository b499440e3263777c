"""Juno Waves survey data: readers, the flyby simulator and the HI analyzer.

:mod:`~station.waves.series` is the one in-memory shape every reader returns.
"""
