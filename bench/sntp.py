"""The measured clock against real NTP servers on loopback, true and shifted.

Starts ``chronyd -x`` (never touches the system clock; ``local stratum 8``) on
loopback once per shift, under ``faketime -f SHIFT`` for the shifted ones, measures
the offset ``--repeats`` times with :func:`station.sntp.measure_offset` and prints,
per server: the shift, the measured offset (median), the error (median and max of
|measured - shift|) and the time a measurement took (max), beside the bar (within
20 ms, in at most 2 s).  Needs Debian ``chrony`` and ``faketime``.

Shifts under 1 s are not a clock faketime can give chronyd: ``+0.3s`` measures
0.150 s, ``+0.6s`` 0.300 s, ``+0.9s`` 0.450 s, while ``+1s``, ``+1.2s`` and more measure
exactly (this machine, chrony 4.3, faketime 0.9.10).  That is what one
expects if chronyd stamps a request's arrival with the kernel's receive timestamp (not
faked) whenever that lies within about 1 s of its own (faked) clock: the offset is
then the average of a faked and a true timestamp, half the shift.  So the tests and
this bench shift by a second or more (``--shift`` adds one, e.g. ``--shift +0.3s`` to
see it).

Usage::

    python bench/sntp.py --repeats 5
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/station/ntp_server

from station.sntp import measure_offset  # noqa: E402
from tests.station.ntp_server import start_chronyd, stop_chronyd  # noqa: E402

LIMIT_ERROR_S = 0.020
LIMIT_TIME_S = 2.0
SHIFTS = (("none", 0.0), ("+1.2s", 1.2), ("+3s", 3.0), ("-2.5s", -2.5), ("+1h", 3600.0))


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="measurements per server")
    parser.add_argument("--shift", action="append", default=[], help="another faketime shift")
    args = parser.parse_args()
    shifts = SHIFTS + tuple((s, float(s.rstrip("s"))) for s in args.shift)
    if not (shutil.which("chronyd") and shutil.which("faketime")):
        sys.exit("needs chronyd and faketime: apt-get install chrony faketime")
    print(f"bar: |measured - shift| <= {LIMIT_ERROR_S * 1e3:.0f} ms in <= {LIMIT_TIME_S:g} s")
    print(f"{'server shift':>12} {'measured s':>14} {'err med ms':>10} {'err max ms':>10} "
          f"{'time max s':>10} {'bar':>4}")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        for n, (shift, shift_s) in enumerate(shifts):
            folder = Path(tmp) / str(n)
            folder.mkdir()
            proc, address = start_chronyd(folder, None if shift == "none" else shift)
            try:
                offsets, took = [], []
                for _ in range(args.repeats):
                    t0 = time.monotonic()
                    got = measure_offset([address])
                    took.append(time.monotonic() - t0)
                    offsets.append(np.nan if got.offset_s is None else got.offset_s)
            finally:
                stop_chronyd(proc)
            err = np.abs(np.array(offsets) - shift_s)
            ok = bool(np.all(err <= LIMIT_ERROR_S) and max(took) <= LIMIT_TIME_S)
            bar = "ok" if ok else "FAIL"
            print(f"{shift:>12} {np.median(offsets):>14.6f} {np.median(err) * 1e3:>10.3f} "
                  f"{np.max(err) * 1e3:>10.3f} {max(took):>10.4f} {bar:>4}")  # fmt: skip


if __name__ == "__main__":
    main()
