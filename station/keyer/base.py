"""The protocol every keying backend follows, and the dry-run backend.

A backend only moves the key and reports what the hardware said; the checks, the
watchdog and the unkey-on-exit live once, in :class:`station.keyer.safety.SafeKeyer`.

Examples
--------
>>> k = DryRunKeyer()
>>> k.open(28_400_000, "CW")
'dry run: would tune 28.400000 MHz CW'
>>> k.set_key(True), k.key_state()
('dry run: key down', True)
"""

from __future__ import annotations

import threading
from typing import Protocol, runtime_checkable

__all__ = ["DryRunKeyer", "Keyer"]


@runtime_checkable
class Keyer(Protocol):
    """A way to key a transmitter.

    Attributes
    ----------
    name : str
        Backend name for logs (``"rigctld"``, ``"serial"``, ``"dry-run"``).
    transmits : bool
        True when the backend can put a carrier on the air.
    """

    name: str
    transmits: bool

    def open(self, freq_hz: float, mode: str) -> str:
        """Connect, tune to ``freq_hz`` in ``mode`` and make sure the key is up."""
        ...

    def set_key(self, down: bool) -> str:
        """Key down (True) or up (False); return the backend's reply."""
        ...

    def key_state(self) -> bool | None:
        """Read the key state back from the hardware (None: cannot be read)."""
        ...

    def identify(self, text: str, wpm: float) -> str | None:
        """Send ``text`` in CW at ``wpm`` with the rig's own keyer.

        Returns the reply, or None when the backend has no keyer (the caller then
        keys the elements itself).
        """
        ...

    def emergency_unkey(self) -> str:
        """Release the key from another thread, independently of the main connection."""
        ...

    def close(self) -> None:
        """Release the hardware (the key is already up)."""
        ...


class DryRunKeyer:
    """Keys nothing; says what it would do (the default of ``hi-station transmit``)."""

    name = "dry-run"
    transmits = False

    def __init__(self) -> None:
        self._down = False
        self._lock = threading.Lock()

    def open(self, freq_hz: float, mode: str) -> str:  # noqa: D102
        return f"dry run: would tune {freq_hz / 1e6:.6f} MHz {mode}"

    def set_key(self, down: bool) -> str:  # noqa: D102
        with self._lock:
            self._down = down
        return f"dry run: key {'down' if down else 'up'}"

    def key_state(self) -> bool | None:  # noqa: D102
        with self._lock:
            return self._down

    def identify(self, text: str, wpm: float) -> str | None:  # noqa: D102
        return f"dry run: would send {text!r} at {wpm:g} WPM"

    def emergency_unkey(self) -> str:  # noqa: D102
        return self.set_key(False)

    def close(self) -> None:  # noqa: D102
        pass
