"""Build the source a ``--source`` string names (:data:`station.sdr.spec.SOURCE_FORMS`).

The concrete sources import :mod:`station.sdr.spec` for :class:`~station.sdr.spec.RtlSettings`;
this module imports them, and none of them imports it.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

from station.sdr.audio import AudioSource
from station.sdr.base import IQSource
from station.sdr.filesource import FileSource
from station.sdr.rtlsdr_dongle import RtlSdrSource
from station.sdr.rtltcp import RtlTcpSource
from station.sdr.spec import parse_source
from station.sdr.synthetic import SyntheticSource

__all__ = ["open_source"]

logger = logging.getLogger(__name__)


def _kwargs_for(cls: type, settings: dict[str, Any], kind: str) -> dict[str, Any]:
    accepted = inspect.signature(cls).parameters
    out = {}
    for key, value in settings.items():
        if key in accepted:
            out[key] = value
        elif value is not None:
            logger.warning("%s=%r does not apply to a %s source; ignored", key, value, kind)
    return out


def open_source(spec: str, **settings: Any) -> IQSource:
    """Build the (unopened) source a ``--source`` string names.

    Parameters
    ----------
    spec : str
        One of :data:`SOURCE_FORMS`.
    **settings
        Keyword arguments of the source class (``center_freq_hz``,
        ``sample_rate_hz``, ``gain_db``, ``freq_correction_ppm``, ``clock``, ...).
        Settings a kind of source does not take are ignored (with a warning when
        they are not None), so the CLI can pass the same set to every kind.

    Returns
    -------
    IQSource
        :class:`~station.sdr.rtlsdr_dongle.RtlSdrSource`,
        :class:`~station.sdr.rtltcp.RtlTcpSource`,
        :class:`~station.sdr.filesource.FileSource`,
        :class:`~station.sdr.synthetic.SyntheticSource` or
        :class:`~station.sdr.audio.AudioSource`; call ``open()`` on it.

    Raises
    ------
    InputError
        Unknown form, or settings the source rejects.

    Examples
    --------
    >>> src = open_source("synthetic", center_freq_hz=28.2e6, sample_rate_hz=240e3, seed=1)
    >>> type(src).__name__
    'SyntheticSource'
    >>> open_source("rtlsdr:0", center_freq_hz=5e6, sample_rate_hz=240e3)
    Traceback (most recent call last):
    ...
    station.errors.InputError: center_freq_hz=5e+06 is outside the R820T tuning range \
24-1766 MHz (direct sampling below it is not supported)
    """
    kind, arg = parse_source(spec)
    if kind == "rtlsdr":
        return RtlSdrSource(arg, **_kwargs_for(RtlSdrSource, settings, kind))
    if kind == "rtl_tcp":
        host, port = arg
        return RtlTcpSource(host, port, **_kwargs_for(RtlTcpSource, settings, kind))
    if kind == "file":
        return FileSource(arg, **_kwargs_for(FileSource, settings, kind))
    if kind == "audio":
        return AudioSource(arg, **_kwargs_for(AudioSource, settings, kind))
    return SyntheticSource(**_kwargs_for(SyntheticSource, settings, kind))
