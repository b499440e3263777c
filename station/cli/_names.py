"""Error messages in the user's words: library parameter names become option names.

A library error names its parameter (``sample_rate_hz=nan must be finite``); the
command line shows the option that set it (``--sample-rate-hz=nan ...``), in the
option's unit (``center_freq_hz=5e+06`` is ``--center-mhz=5``), and as the user typed
it when an old spelling was used (:data:`station.cli._common.ALIASES`).
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["option_names", "rename"]

#: Library parameters set by an option of another name or unit: the options that may
#: set each (the first one the command has is named) and the factor from the library's
#: unit to the option's.  A parameter of the same name as an option needs no entry.
_LIBRARY_NAMES: dict[str, tuple[tuple[str, ...], float]] = {
    "center_freq_hz": (("--center-mhz", "--freq-mhz"), 1e-6),
    "center_hz": (("--offset-hz",), 1.0),
    "drift_hz_per_s": (("--drift-hz-per-min",), 60.0),
    "max_drift_hz_per_s": (("--max-drift-hz-per-min",), 60.0),
    "freq_correction_ppm": (("--ppm",), 1.0),
    "antenna_gain_dbi": (("--gain-dbi",), 1.0),
    "n_operators": (("--operators",), 1.0),
    "freq_hz": (("--freq-mhz",), 1e-6),
    "round_period_s": (("--period-s",), 1.0),
    "ident_rule": (("--ident",), 1.0),
}

_NUMBER = r"[-+]?(?:nan|inf|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"


def option_names(command: Any) -> dict[str, tuple[str, float]]:
    """Library parameter names -> (option of ``command`` that sets it, unit factor)."""
    names: dict[str, tuple[str, float]] = {}
    for param in getattr(command, "params", ()):
        long = [o for o in getattr(param, "opts", ()) if o.startswith("--")]
        if getattr(param, "param_type_name", "") == "option" and long and param.name:
            names[param.name] = (long[0], 1.0)
    options = {option for option, _ in names.values()}
    for name, (candidates, factor) in _LIBRARY_NAMES.items():
        have = [o for o in candidates if o in options]
        if have and name not in names:
            names[name] = (have[0], factor)
    return names


def rename(message: str, names: dict[str, Any]) -> str:
    """Name options in ``message`` as the user knows them.

    ``names`` maps a library parameter to ``(option, factor)`` (:func:`option_names`;
    ``name=value`` becomes ``--option=value*factor``, a bare name with an underscore
    ``--option``), or an option to the old spelling the user typed.

    Examples
    --------
    >>> rename("center_freq_hz=nan must be finite", {"center_freq_hz": ("--center-mhz", 1e-6)})
    '--center-mhz=nan must be finite'
    >>> rename("give sample_rate_hz", {"sample_rate_hz": ("--sample-rate-hz", 1.0)})
    'give --sample-rate-hz'
    >>> rename("--start-utc='18:00' is not ISO 8601", {"--start-utc": "--start"})
    "--start='18:00' is not ISO 8601"
    """
    for name, to in names.items():
        if isinstance(to, str):
            message = re.sub(rf"(?<![\w.:-]){re.escape(name)}(?![\w-])", to, message)
            continue
        option, factor = to

        def value(m: re.Match[str], option: str = option, factor: float = factor) -> str:
            number = m.group(1)
            return f"{option}={number if factor == 1.0 else format(float(number) * factor, 'g')}"

        message = re.sub(rf"(?<![\w.:-]){re.escape(name)}=({_NUMBER})", value, message)
        if "_" in name:
            message = re.sub(rf"(?<![\w.:-]){re.escape(name)}(?![\w-])", option, message)
    return message
