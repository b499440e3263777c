"""Everything in hi-station that touches the outside world.

:mod:`station` reads and writes recordings, glues :mod:`dsp` to files and holds the
typer command-line interface.  It may import :mod:`dsp`; :mod:`dsp` never imports it.
Modules:

- :mod:`station.errors`: the one exception hierarchy (one line, exit code 2 at the CLI)
- :mod:`station.recording`: recordings on disk: the :class:`~station.recording.Recording`
  type, :func:`~station.recording.read_recording`, SigMF and WAV validated reading and
  crash-safe writing, the streaming writer and crash recovery
- :mod:`station.utc`: every UTC parse and format
- :mod:`station.synth`: text + dit + channel -> samples -> recording file
- :mod:`station.analysis`: decode / detect a :class:`~station.recording.Recording`
- :mod:`station.demo`: the newcomer's end-to-end demonstration
- :mod:`station.cli`: the ``hi-station`` command
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
