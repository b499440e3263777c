"""A real NTP server (chronyd) on loopback, its clock optionally shifted by faketime.

``ntp_server()`` starts one and returns ``"127.0.0.1:PORT"``; ``ntp_server("+3s")``
runs it under ``faketime -f +3s`` (Debian ``faketime``), so it serves a clock 3 s
ahead.  chronyd runs with ``-x`` (never touches the system clock), ``local stratum 8``
(answers at once, as synchronized), no command port and no socket file.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

__all__ = ["ntp_server", "start_chronyd", "stop_chronyd"]


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.1)
        try:
            s.sendto(b"\x23" + 47 * b"\0", ("127.0.0.1", port))
            return len(s.recv(48)) == 48
        except OSError:
            return False


def stop_chronyd(proc: subprocess.Popen) -> None:
    """End the process group (faketime forks: chronyd is its child)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def start_chronyd(folder: Path, shift: str | None = None) -> tuple[subprocess.Popen, str]:
    """Start chronyd in ``folder`` (shifted by ``faketime -f SHIFT``); (process, HOST:PORT)."""
    exe, wrapper = shutil.which("chronyd"), shutil.which("faketime")
    if exe is None or (shift and wrapper is None):
        pytest.fail("chronyd/faketime not found: apt-get install chrony faketime (README)")
    port = _free_udp_port()
    conf = folder / "chrony.conf"
    conf.write_text(
        f"port {port}\nbindaddress 127.0.0.1\nallow 127.0.0.1\nlocal stratum 8\n"
        f"cmdport 0\nbindcmdaddress /\npidfile {folder}/chronyd.pid\n",
        encoding="utf-8",
    )
    cmd = [exe, "-d", "-x", "-u", "root", "-f", str(conf)]
    if shift:
        assert wrapper is not None
        cmd = [wrapper, "-f", shift, *cmd]
    with open(folder / "chronyd.log", "w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            cmd, start_new_session=True, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=log,
        )  # fmt: skip
    deadline = time.monotonic() + 10
    while not _answers(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_chronyd(proc)
            pytest.fail(
                f"chronyd did not answer on port {port}: {(folder / 'chronyd.log').read_text()}"
            )
        time.sleep(0.02)
    return proc, f"127.0.0.1:{port}"


@pytest.fixture
def ntp_server(tmp_path: Path) -> Iterator[Callable[..., str]]:
    """Factory: ``ntp_server(shift=None)`` -> ``"127.0.0.1:PORT"`` of a running chronyd."""
    procs: list[subprocess.Popen] = []

    def start(shift: str | None = None) -> str:
        folder = tmp_path / f"chrony{len(procs)}"
        folder.mkdir()
        proc, address = start_chronyd(folder, shift)
        procs.append(proc)
        return address

    try:
        yield start
    finally:
        for proc in procs:
            stop_chronyd(proc)
