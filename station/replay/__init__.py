"""Offline replay: a recording of the band, channelized, decoded and detected channel by channel.

:func:`replay` (:mod:`station.replay.run`) streams a recording through the whole-band
channelizer and analyses each channel; :mod:`station.replay.windows` decodes a long
channel window by window; :mod:`station.replay.grabs` draws a channel's QRSS grabs
with the renderer of :mod:`station.qrss.render` (shared with live grabs).  Which channels, and how
wide, is :mod:`station.channels` (shared with capture).
"""

from station.replay.run import ChannelResult, ReplayResult, drop_images, replay

__all__ = ["ChannelResult", "ReplayResult", "drop_images", "replay"]
