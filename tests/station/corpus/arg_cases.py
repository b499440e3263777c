"""Bad option values, callsigns, grids, times, and paths that are not what they seem.

Every numeric option of every reading or writing command gets the same bad values;
string options get malformed callsigns, grids and times; every path argument gets
missing files, folders, devices, a FIFO and symbolic links; every output option gets
an existing file, a folder, ``/dev/full``, a link out of the folder and a missing
folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from tests.station.corpus.base import Case, Sandbox

BIG = "1" + "0" * 4999

#: Values every numeric option is given.
NUMBERS = ["abc", "-1", "nan", "1e308", "1e-308"]
#: Commands slow enough (a flyby simulation each) that only some values are tried.
FEWER = {"waves-simulate": ["abc", "-1", "1e308", "1e-308"]}


def _commands(c: dict[str, Path], out: Path) -> dict[str, tuple[list[str], list[str]]]:
    """Command -> (a valid command line, its numeric options)."""
    iq, event, pds = str(c["sigmf"]), str(c["event"]), str(c["pds"])
    return {
        "decode": (["decode", iq, "--max-dit-s", "2"],
                   ["--offset-hz", "--search-hz", "--min-dit-s", "--max-dit-s",
                    "--max-drift-hz-per-min", "--pfa"]),
        "detect": (["detect", iq, "--text", "E", "--dit-s", "0.5", "--start-offset-s", "0.5",
                    "--timing-offset-s", "0.1"],
                   ["--start-offset-s", "--dit-s", "--rounds", "--period-s", "--offset-hz",
                    "--search-hz", "--max-drift-hz-per-min", "--pfa", "--timing-offset-s",
                    "--stack-drift-hz-per-min", "--stack-wander-hz"]),
        "replay": (["replay", iq], ["--freq-mhz", "--channel-rate-hz", "--pfa", "--sample-rate-hz",
                                    "--center-mhz"]),
        "encode": (["encode", "HI", "--out", str(out / "e.wav"), "--dit-s", "0.2", "--lead-s",
                    "0.1", "--tail-s", "0.1", "--seed", "1"],
                   ["--dit-s", "--wpm", "--sample-rate-hz", "--snr2500-db", "--offset-hz",
                    "--drift-hz-per-min", "--seed", "--tone-hz", "--lead-s", "--tail-s",
                    "--freq-mhz"]),
        "schedule-plan": (["schedule", "plan", event, "--callsign", "G4ABC"], ["--freq-mhz"]),
        "schedule-new": (["schedule", "new", "--out", str(out / "n.toml"), "--start-utc",
                          "2030-01-01T00:00:00Z"],
                         ["--dit-s", "--rounds", "--period-s", "--freq-mhz", "--ident-wpm"]),
        "waves-analyze": (["waves", "analyze", pds, "--schedule", "juno-2013-10-09"],
                          ["--channel-mhz", "--pfa", "--background-knot-s", "--edge-guard-s"]),
        "waves-inspect": (["waves", "inspect", pds], ["--channel-mhz"]),
        "waves-simulate": (["waves", "simulate", "--schedule", "juno-2013-10-09", "--operators",
                            "10", "--band", "HFRH", "--out", str(out)],
                           ["--operators", "--power-w", "--gain-dbi", "--active-fraction",
                            "--clock-error-s", "--seed", "--pfa"]),
        "log-adif": (["log", "adif", str(c["txlog"]), "--out", str(out / "x.adi")], ["--power-w"]),
    }  # fmt: skip


def option_cases(sb: Sandbox, common: dict[str, Path]) -> Iterator[Case]:
    """Every numeric option of every command with every value of :data:`NUMBERS`."""
    for command, (_, options) in _commands(common, Path("/nonexistent")).items():
        for n, option in enumerate(options):
            values = FEWER.get(command, NUMBERS) + ([BIG] if n % 3 == 0 else [])
            values = values if n == 0 else values[1:]  # "abc" fails in the parser, once is enough
            for k, value in enumerate(values):
                case_id = f"opt-{command}{option}-{k}"
                out = sb.out(case_id)
                argv = _commands(common, out)[command][0] + [option, value]
                if command == "waves-simulate" and option == "--operators" and value == "1e308":
                    argv[argv.index("10")] = "1"
                yield Case(case_id, f"option:{command}", argv, allowed=[str(out)])
    out = sb.out("opt-typo")
    for k, argv in enumerate([["decode"], ["decode", "--nope", str(common["sigmf"])],
                              ["frobnicate"], ["--verbose=abc"], ["schedule", "plan"],
                              ["detect", str(common["sigmf"]), "--dit-s"],
                              ["replay", str(common["sigmf"]), "--overwrite=maybe"],
                              ["encode", "HI", "--out"], ["--nope"], ["waves", "nope"]]):  # fmt: skip
        yield Case(f"usage-{k}", "usage", argv, expect="error", allowed=[str(out)])


CALLSIGNS = ["", " ", "G4ABC\n", "G4\x1b[31mABC", "<EOR>", "A" * 1000, "G4/ABC/P/QRP/X",
             "ÄÖ1X", "-", "0", "G4 ABC", "G4ABC;rm", "a" * 13, "\u202eX1A", "G4ABC/"]  # fmt: skip
GRIDS = ["", "ZZ99", "IO91wm99xx", "A", "IO9", "io91WM", "IO91wm\n", "ÄÖ91", "IO" + "9" * 500,
         "AR00", "IO91wm00ax"]  # fmt: skip
TIMES = ["abc", "", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "2013-10-09T18:00:00",
         "2013-10-09T18:00:00+01:00", "2013-10-09T24:00:00Z", "2013-06-30T23:59:60Z",
         "2013-02-30T00:00:00Z", "+10000-01-01T00:00:00Z", "2013-10-09", "18:00Z",
         "2013-10-09T18:00:00.123456789Z", BIG]  # fmt: skip
TEXTS = ["", " ", "ÄÖ", "x" * 50_000, "\n", "HI{}", "<>", "HI\x00", "\x1b[2J", "HI " * 400]
ZONES = ["Mars/Olympus", "../../etc/passwd", "", "local", "UTC", "Europe/London\n", "x" * 300]


def string_cases(sb: Sandbox, common: dict[str, Path]) -> Iterator[Case]:
    """Callsigns, grids, times, texts, names and zones for the commands that take them."""
    event, iq = str(common["event"]), str(common["sigmf"])
    for k, call in enumerate(CALLSIGNS):
        out = sb.out(f"call-{k}")
        yield Case(f"call-{k}/plan", "callsign:schedule-plan",
                   ["schedule", "plan", event, "--callsign", call, "--ics", str(out / "p.ics")],
                   allowed=[str(out)])  # fmt: skip
        if k % 3 == 0:  # replay draws grabs: a few are enough
            yield Case(f"call-{k}/replay", "callsign:replay",
                       ["replay", iq, "--callsign", call, "--png", str(out)], allowed=[str(out)])  # fmt: skip
    for k, grid in enumerate(GRIDS):
        yield Case(f"grid-{k}/plan", "grid:schedule-plan",
                   ["schedule", "plan", event, "--callsign", "G4ABC", "--grid", grid])  # fmt: skip
        if k % 3 == 0:
            yield Case(f"grid-{k}/replay", "grid:replay", ["replay", iq, "--grid", grid, "--json"])
    for k, when in enumerate(TIMES):
        out = sb.out(f"time-{k}")
        yield Case(f"time-{k}/detect", "time:detect",
                   ["detect", iq, "--start-utc", when, "--text", "E", "--dit-s", "0.5"])  # fmt: skip
        yield Case(f"time-{k}/new", "time:schedule-new",
                   ["schedule", "new", "--out", str(out / "n.toml"), "--start-utc", when],
                   allowed=[str(out)])  # fmt: skip
        yield Case(f"time-{k}/encode", "time:encode",
                   ["encode", "HI", "--out", str(out / "e"), "--dit-s", "0.2", "--lead-s", "0.1",
                    "--tail-s", "0.1", "--start-utc", when], allowed=[str(out)])  # fmt: skip
        if k % 3 == 0:
            yield Case(f"time-{k}/simulate", "time:waves-simulate",
                       ["waves", "simulate", "--schedule", "juno-2013-10-09", "--safe-mode-utc", when,
                        "--operators", "10", "--band", "HFRH", "--out", str(out)], allowed=[str(out)])  # fmt: skip
    for k, text in enumerate(TEXTS):
        out = sb.out(f"text-{k}")
        yield Case(f"text-{k}/encode", "text:encode",
                   ["encode", text, "--out", str(out / "e.wav"), "--dit-s", "0.05", "--lead-s",
                    "0.1", "--tail-s", "0.1", "--sample-rate-hz", "4000", "--tone-hz", "500"],
                   allowed=[str(out)], timeout_s=10)  # fmt: skip
        yield Case(f"text-{k}/detect", "text:detect",
                   ["detect", iq, "--text", text, "--dit-s", "0.5", "--start-offset-s", "0.5"])  # fmt: skip
        for option in ("--name", "--message", "--target", "--ident"):
            yield Case(f"text-{k}/new{option}", "text:schedule-new",
                       ["schedule", "new", "--out", str(out / f"n{option}.toml"), option, text],
                       allowed=[str(out)])  # fmt: skip
    for k, zone in enumerate(ZONES):
        yield Case(f"tz-{k}", "tz:schedule-plan", ["schedule", "plan", event, "--callsign", "G4ABC",
                                                   "--tz", zone])  # fmt: skip
    for k, sched in enumerate(["../x", "nonexistent-id", "", "/dev/zero", str(common["dir"]),
                               "juno-2013-10-09/../../x", "JUNO-2013-10-09", "."]):  # fmt: skip
        yield Case(f"schedarg-{k}/detect", "schedule-arg:detect", ["detect", iq, "--schedule", sched])
        yield Case(f"schedarg-{k}/show", "schedule-arg:schedule-show", ["schedule", "show", sched])
        yield Case(f"schedarg-{k}/waves", "schedule-arg:waves-analyze",
                   ["waves", "analyze", str(common["pds"]), "--schedule", sched])  # fmt: skip
