"""Curated package APIs whose names load on first use (PEP 562).

A package ``__init__`` lists its public names and the module each lives in; nothing is
imported until a name is used.  This keeps ``import station.keyer.guardian`` (started
as a subprocess beside every rigctld session) and ``import station.sdr`` light, and a
package never imports its submodules behind their backs, so the import graph keeps no
circles.  Written here because the standard library has no helper for it.

Examples
--------
>>> getattr_, dir_ = lazy_exports("station.keyer", {"TxLog": "station.keyer.txlog"})
>>> getattr_("TxLog").__name__
'TxLog'
>>> dir_()
['TxLog']
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, names: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return a module ``__getattr__`` and ``__dir__`` serving ``names`` lazily.

    Parameters
    ----------
    package : str
        The package's name (for the error of an unknown attribute).
    names : mapping of str to str
        Public name -> the module that defines it.
    """

    def __getattr__(name: str) -> Any:
        try:
            module = names[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        return getattr(importlib.import_module(module), name)

    def __dir__() -> list[str]:
        return sorted(names)

    return __getattr__, __dir__
