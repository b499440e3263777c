"""Paths that are not plain files: missing, folders, devices, a FIFO, links; bad outputs."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

from tests.station.corpus.base import Case, Sandbox


def _input_paths(sb: Sandbox, common: dict[str, Path]) -> list[tuple[str, str]]:
    """(name, path) of odd inputs, made in ``cases/paths/``."""
    d = sb.new("paths")
    fifo = d / "fifo"
    os.mkfifo(fifo)
    (d / "empty").write_bytes(b"")
    (d / "link-devzero").symlink_to("/dev/zero")
    (d / "link-missing").symlink_to(d / "nothere")
    (d / "loop").symlink_to("loop")
    (d / "link-fifo").symlink_to(fifo)
    (d / "link-dir").symlink_to(common["dir"])
    (d / "-dash").write_bytes(b"x")
    (d / "new\nline").write_bytes(b"x")
    return [
        ("missing", str(d / "nothere")), ("dir", str(common["dir"])), ("devzero", "/dev/zero"),
        ("devnull", "/dev/null"), ("devfull", "/dev/full"),
        ("fifo", str(fifo)), ("empty", str(d / "empty")), ("link-devzero", str(d / "link-devzero")),
        ("link-missing", str(d / "link-missing")), ("loop", str(d / "loop")),
        ("link-fifo", str(d / "link-fifo")), ("link-dir", str(d / "link-dir")),
        ("newline", str(d / "new\nline")),
        ("long", str(d / ("x" * 300))), ("longpath", "/" + "/".join(["d" * 200] * 30)),
        ("root", "/"),
    ]  # fmt: skip


def _readers(common: dict[str, Path]) -> dict[str, Callable[[str], list[str]]]:
    event, iq = str(common["event"]), str(common["sigmf"])
    return {
        "decode": lambda p: ["decode", p], "replay": lambda p: ["replay", p],
        "replay-cu8": lambda p: ["replay", p + ".cu8", "--sample-rate-hz", "500", "--center-mhz", "28.4"],
        "detect": lambda p: ["detect", p, "--text", "E", "--dit-s", "0.5"],
        "detect-schedule": lambda p: ["detect", iq, "--schedule", p],
        "schedule-show": lambda p: ["schedule", "show", p],
        "schedule-plan": lambda p: ["schedule", "plan", p, "--callsign", "G4ABC"],
        "log-adif": lambda p: ["log", "adif", p, "--out", str(common["dir"].parent / "never.adi")],
        "waves-inspect": lambda p: ["waves", "inspect", p],
        "waves-analyze": lambda p: ["waves", "analyze", p, "--schedule", event],
        "recover": lambda p: ["recording", "recover", p],
        "wav": lambda p: ["decode", p + ".wav"], "gz": lambda p: ["waves", "inspect", p + ".CSV.gz"],
    }  # fmt: skip


def input_path_cases(sb: Sandbox, common: dict[str, Path]) -> Iterator[Case]:
    """Every reader with every odd input path: refused in one line, never blocking."""
    ok_on: set[tuple[str, str]] = set()
    for name, path in _input_paths(sb, common):
        for reader, argv in _readers(common).items():
            expect = "any" if (reader, name) in ok_on else "error"
            yield Case(f"path-{name}/{reader}", f"input-path:{reader}", argv(path),
                       expect=expect, timeout_s=10)  # fmt: skip


def _outputs(
    sb: Sandbox, common: dict[str, Path], case_id: str, suffix: str
) -> dict[str, str]:
    """Odd outputs (ending in ``suffix``) for one writer, all inside the sandbox.

    ``/dev/full`` is the one path outside it: writing there fails, so nothing lands.
    """
    d = sb.new(case_id)
    (d / f"exists{suffix}").write_bytes(b"keep me")
    victim = d / "victim"
    victim.write_bytes(b"outside")
    (d / f"link-out{suffix}").symlink_to(victim)
    (d / f"link-devfull{suffix}").symlink_to("/dev/full")
    os.mkfifo(d / f"fifo{suffix}")
    (d / f"dangling{suffix}").symlink_to(d / "nowhere" / "x")
    folder = d / f"folder{suffix}"
    folder.mkdir()
    return {
        "exists": str(d / f"exists{suffix}"), "dir": str(folder), "devfull": "/dev/full",
        "link-out": str(d / f"link-out{suffix}"), "link-devfull": str(d / f"link-devfull{suffix}"),
        "fifo": str(d / f"fifo{suffix}"), "missing-dir": str(d / "no" / "such" / f"x{suffix}"),
        "dangling": str(d / f"dangling{suffix}"), "long": str(d / ("y" * 300 + suffix)),
    }  # fmt: skip


def _writers(common: dict[str, Path]) -> dict[str, tuple[str, Callable[[str], list[str]]]]:
    iq, event = str(common["sigmf"]), str(common["event"])
    return {
        "encode-wav": (".wav", lambda p: ["encode", "HI", "--out", p, "--dit-s", "0.2",
                                          "--lead-s", "0.1", "--tail-s", "0.1"]),
        "encode-sigmf": (".sigmf-meta", lambda p: ["encode", "HI", "--out", p, "--dit-s", "0.2",
                                                   "--lead-s", "0.1", "--tail-s", "0.1"]),
        "schedule-new": (".toml", lambda p: ["schedule", "new", "--out", p]),
        "schedule-ics": (".ics", lambda p: ["schedule", "plan", event, "--callsign", "G4ABC",
                                            "--ics", p]),
        "log-adif": (".adi", lambda p: ["log", "adif", str(common["txlog"]), "--out", p]),
        "waves-png": (".png", lambda p: ["waves", "analyze", str(common["pds"]), "--schedule",
                                         "juno-2013-10-09", "--png", p]),
        "replay-png": ("", lambda p: ["replay", iq, "--png", p]),
        "simulate-out": ("", lambda p: ["waves", "simulate", "--schedule", "juno-2013-10-09",
                                        "--operators", "10", "--band", "HFRH", "--out", p]),
    }  # fmt: skip


def output_path_cases(sb: Sandbox, common: dict[str, Path]) -> Iterator[Case]:
    """Every writer with every odd output: one error line, nothing written anywhere else.

    Writers that name a folder (``--png`` of replay, ``--out`` of simulate) may write
    into an existing one, or create a missing one (with its missing parents); everything
    else must be refused.
    """
    for writer, (suffix, argv) in _writers(common).items():
        for name, path in _outputs(sb, common, f"out-{writer}", suffix).items():
            ok = name == "dir" and not suffix
            created = name == "missing-dir" and not suffix
            expect = "any" if ok or created or name == "long" else "error"
            allowed = [path] if ok else [str(Path(path).parents[1])] if created else []
            yield Case(f"out-{writer}/{name}", f"output-path:{writer}", argv(path),
                       allowed=allowed, expect=expect)  # fmt: skip
