"""QRSS grabs: the PNG frames a grabber writes, after the fact and while capturing.

- :mod:`station.qrss.settings`: :class:`GrabSettings`, the grab options in one bundle;
- :mod:`station.qrss.render`: the figure (names, frames, colour scale, header);
- :mod:`station.qrss.live`: :class:`LiveGrabber` fed by the capture loop, and the
  dashboard's :class:`Waterfall`;
- :mod:`station.qrss.hook`: the ``--on-grab`` command run after each grab.

``replay --png`` draws with the same renderer (:mod:`station.replay.grabs`).
"""

from __future__ import annotations

from station.qrss.live import LiveGrabber, Waterfall
from station.qrss.settings import GrabSettings, grab_settings

__all__ = ["GrabSettings", "LiveGrabber", "Waterfall", "grab_settings"]
