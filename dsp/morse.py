"""Morse code: text <-> elements <-> key-down intervals, for any dit length.

Timing follows ITU-R M.1677-1: a dah is three dits, the gap inside a character is
one dit, between characters three dits and between words seven dits.  The whole
module works in *units* (one unit = one dit); seconds appear only in
:func:`key_intervals`, which multiplies by ``dit_s``.

Prosigns are written between angle brackets (``<SK>``, ``<AR>``, ``<BT>``) and are
sent as one character with no letter gap inside.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from dsp.errors import DspValueError

__all__ = [
    "MORSE_CODE",
    "Element",
    "elements_to_text",
    "key_intervals",
    "normalize_text",
    "text_to_elements",
    "text_to_units",
    "units_to_elements",
    "wpm_to_dit_s",
]

#: ITU alphabet, digits, punctuation and common prosigns ('.' dit, '-' dah).
MORSE_CODE: dict[str, str] = {
    "A": ".-", "B": "-...", "C": "-.-.", "D": "-..", "E": ".", "F": "..-.",
    "G": "--.", "H": "....", "I": "..", "J": ".---", "K": "-.-", "L": ".-..",
    "M": "--", "N": "-.", "O": "---", "P": ".--.", "Q": "--.-", "R": ".-.",
    "S": "...", "T": "-", "U": "..-", "V": "...-", "W": ".--", "X": "-..-",
    "Y": "-.--", "Z": "--..",
    "0": "-----", "1": ".----", "2": "..---", "3": "...--", "4": "....-",
    "5": ".....", "6": "-....", "7": "--...", "8": "---..", "9": "----.",
    ".": ".-.-.-", ",": "--..--", "?": "..--..", "'": ".----.", "!": "-.-.--",
    "/": "-..-.", "(": "-.--.", ")": "-.--.-", "&": ".-...", ":": "---...",
    ";": "-.-.-.", "=": "-...-", "+": ".-.-.", "-": "-....-", "_": "..--.-",
    '"': ".-..-.", "$": "...-..-", "@": ".--.-.",
    "<AR>": ".-.-.", "<AS>": ".-...", "<BK>": "-...-.-", "<BT>": "-...-",
    "<CL>": "-.-..-..", "<CT>": "-.-.-", "<KN>": "-.--.", "<SK>": "...-.-",
    "<SN>": "...-.", "<SOS>": "...---...", "<HH>": "........",
}  # fmt: skip

# Characters that share a code with a prosign decode as the plain character.
_DECODE: dict[str, str] = {}
for _char, _code in MORSE_CODE.items():
    _DECODE.setdefault(_code, _char)

_TOKEN = re.compile(r"<[A-Z]+>|\S| +")


@dataclass(frozen=True, slots=True)
class Element:
    """One key-down or key-up run, in units of one dit.

    Attributes
    ----------
    key_down : bool
        True for a mark (dit or dah), False for a space.
    start_units : int
        Start, counted in dits from the first key-down.
    length_units : int
        Length in dits: 1 or 3 for marks; 1, 3 or 7 for spaces.
    """

    key_down: bool
    start_units: int
    length_units: int

    @property
    def kind(self) -> str:
        """Name of the element: dit, dah, gap, letter-space or word-space."""
        if self.key_down:
            return "dit" if self.length_units == 1 else "dah"
        return {1: "gap", 3: "letter-space"}.get(self.length_units, "word-space")


def wpm_to_dit_s(wpm: float) -> float:
    """Dit length in seconds for a speed in words per minute (PARIS, 50 units).

    Examples
    --------
    >>> round(wpm_to_dit_s(12), 6)
    0.1
    >>> round(wpm_to_dit_s(1 / 25), 3)
    30.0
    """
    if not wpm > 0:
        raise DspValueError(f"wpm={wpm} must be > 0")
    return 1.2 / wpm


def normalize_text(text: str) -> str:
    """Upper-case ``text``, collapse white space and check every character is sendable.

    Raises
    ------
    DspValueError
        If the text is empty or holds a character with no Morse code; the message
        names the character and its position.

    Examples
    --------
    >>> normalize_text("  cq  de n0call<sk> ")
    'CQ DE N0CALL<SK>'
    """
    out = " ".join(text.upper().split())
    if not out:
        raise DspValueError(f"text={text!r} is empty; give at least one Morse character")
    pos = 0
    for match in _TOKEN.finditer(out):
        if match.start() != pos:
            break
        token = match.group()
        if not token.isspace() and token not in MORSE_CODE:
            raise DspValueError(
                f"text={text!r}: character {token!r} at position {pos} has no Morse code "
                "(letters, digits, . , ? ' ! / ( ) & : ; = + - _ \" $ @ and prosigns like <SK>)"
            )
        pos = match.end()
    if pos != len(out):
        raise DspValueError(
            f"text={text!r}: character {out[pos]!r} at position {pos} has no Morse code"
        )
    return out


def _tokens(text: str) -> list[str]:
    return [m.group() for m in _TOKEN.finditer(normalize_text(text))]


def text_to_elements(text: str) -> tuple[Element, ...]:
    """Convert text to marks and spaces, starting and ending with a mark.

    Examples
    --------
    >>> [(e.kind, e.length_units) for e in text_to_elements("HI")][:3]
    [('dit', 1), ('gap', 1), ('dit', 1)]
    >>> sum(e.length_units for e in text_to_elements("HI"))
    13
    """
    elements: list[Element] = []
    t = 0
    pending_space = 0
    for token in _tokens(text):
        if token.isspace():
            pending_space = 7
            continue
        if elements:
            space = max(pending_space, 3)
            elements.append(Element(False, t, space))
            t += space
        pending_space = 0
        for i, symbol in enumerate(MORSE_CODE[token]):
            if i:
                elements.append(Element(False, t, 1))
                t += 1
            n = 1 if symbol == "." else 3
            elements.append(Element(True, t, n))
            t += n
    return tuple(elements)


def text_to_units(text: str) -> np.ndarray:
    """Key state per unit (True = key down), from the first mark to the last.

    Examples
    --------
    >>> "".join("1" if u else "0" for u in text_to_units("HI"))
    '1010101000101'
    """
    elements = text_to_elements(text)
    units = np.zeros(sum(e.length_units for e in elements), dtype=bool)
    for e in elements:
        if e.key_down:
            units[e.start_units : e.start_units + e.length_units] = True
    return units


def key_intervals(text: str, dit_s: float, *, start_s: float = 0.0) -> np.ndarray:
    """Key-down intervals ``[[start_s, stop_s], ...]`` of ``text`` sent at ``dit_s``.

    Parameters
    ----------
    text : str
        Message; see :func:`normalize_text`.
    dit_s : float
        Length of one dit in seconds.
    start_s : float, optional
        Time of the first key-down in seconds.

    Examples
    --------
    >>> key_intervals("HI", 30).tolist()
    [[0.0, 30.0], [60.0, 90.0], [120.0, 150.0], [180.0, 210.0], [300.0, 330.0], [360.0, 390.0]]
    """
    dit_s = float(dit_s)
    if not (np.isfinite(dit_s) and dit_s > 0):
        raise DspValueError(f"dit_s={dit_s} must be a finite number of seconds > 0")
    marks = [e for e in text_to_elements(text) if e.key_down]
    out = np.array([[e.start_units, e.start_units + e.length_units] for e in marks], float)
    return out * dit_s + float(start_s)


def units_to_elements(units: np.ndarray) -> tuple[Element, ...]:
    """Run-length encode a per-unit key state into elements (leading/trailing spaces dropped).

    Examples
    --------
    >>> [e.kind for e in units_to_elements(np.array([0, 1, 1, 1, 0, 1], bool))]
    ['dah', 'gap', 'dit']
    """
    u = np.asarray(units, dtype=bool)
    on = np.flatnonzero(u)
    if on.size == 0:
        return ()
    u = u[on[0] : on[-1] + 1]
    edges = np.flatnonzero(np.diff(u.astype(np.int8))) + 1
    starts = np.concatenate(([0], edges))
    stops = np.concatenate((edges, [u.size]))
    return tuple(
        Element(bool(u[a]), int(a), int(b - a)) for a, b in zip(starts, stops, strict=True)
    )


def elements_to_text(elements: tuple[Element, ...] | list[Element]) -> str:
    """Read text back from elements; marks > 2 units are dahs, spaces >= 5 word spaces.

    Characters with no code are returned as ``*``.

    Examples
    --------
    >>> elements_to_text(text_to_elements("CQ DE N0CALL"))
    'CQ DE N0CALL'
    """
    out: list[str] = []
    symbol: list[str] = []
    for e in elements:
        if e.key_down:
            symbol.append("-" if e.length_units >= 2 else ".")
            continue
        if e.length_units >= 2:
            out.append(_DECODE.get("".join(symbol), "*"))
            symbol = []
            if e.length_units >= 5:
                out.append(" ")
    if symbol:
        out.append(_DECODE.get("".join(symbol), "*"))
    return "".join(out)
