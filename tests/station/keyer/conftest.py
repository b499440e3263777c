"""Real Hamlib rigctld (dummy rig with working PTT) on loopback, and helpers."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from station.errors import RigError
from station.keyer.rigctld_client import RigctldClient
from station.schedule.practice import practice_event_toml


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Rigctld:
    host: str
    port: int
    proc: subprocess.Popen
    probes: list[RigctldClient] = field(default_factory=list)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def probe(self) -> RigctldClient:
        """A separate connection, as an independent observer of the rig (closed by ``stop``)."""
        probe = RigctldClient(self.host, self.port, timeout_s=5.0)
        self.probes.append(probe)
        return probe

    def stop(self) -> None:
        """Close the observers' connections, then end the daemon."""
        for probe in self.probes:
            probe.close()
        self.proc.kill()
        self.proc.wait(timeout=5)

    def ptt(self) -> bool:
        """PTT as an observer reads it; under load rigctld may reset a connection
        (seen with several clients at once), so the observer asks again on a fresh one."""
        for attempt in range(3):
            with RigctldClient(self.host, self.port, timeout_s=5.0) as c:
                try:
                    return c.get_ptt()
                except RigError:
                    if attempt == 2:
                        raise
        raise AssertionError("unreachable")


def start_rigctld(ptt: str | None = "RIG") -> Rigctld:
    """A dummy rig (``-m 1``) with ``-P PTT`` (``None``: no ``-P``, so it refuses PTT)."""
    exe = shutil.which("rigctld")
    if exe is None:
        pytest.fail("rigctld not found: install libhamlib-utils (see the README's test command)")
    port = free_port()
    PORTS.add(port)
    proc = subprocess.Popen(
        [exe, "-m", "1", *(["-P", ptt] if ptt else []), "-T", "127.0.0.1", "-t", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # Ready when it answers a command, not when it accepts: just started, rigctld
    # can accept a connection and then close it (seen under load).  With -P the probe
    # is a PTT read: a fresh daemon whose first PTT command comes from the test reset
    # that connection about one run in four (test_rig_mode_must_read_back after a
    # guardian test); without -P PTT is refused, so the probe reads the frequency.
    deadline = time.monotonic() + 10
    while True:
        try:
            c = RigctldClient("127.0.0.1", port, timeout_s=1.0)
            try:
                c.get_ptt() if ptt else c.get_freq()
            finally:
                c.close()
            break
        except RigError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                proc.wait()
                pytest.fail(f"rigctld did not start on port {port}")
            time.sleep(0.02)
    return Rigctld("127.0.0.1", port, proc)


#: Ports of the rigctld daemons these tests started.
PORTS: set[int] = set()


def guardian_pids() -> list[int]:
    """Guardian processes (``python -m station.keyer.guardian``) of our rigctld daemons."""
    ports = {str(p).encode() for p in PORTS}
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            cmd = (proc / "cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError):
            continue
        if b"station.keyer.guardian" in cmd and ports & set(cmd) and proc.name.isdigit():
            pids.append(int(proc.name))
    return pids


@pytest.fixture(autouse=True)
def no_orphan_guardians() -> Iterator[None]:
    """Tests that leave a guardian retrying against a killed rigctld end it here."""
    yield
    for pid in guardian_pids():
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
def rigctld() -> Iterator[Rigctld]:
    rig = start_rigctld()
    try:
        yield rig
    finally:
        rig.stop()


def practice_toml(
    path: Path,
    *,
    start_utc: datetime | None = None,
    lead_s: float = 1.5,
    dit_s: float = 0.5,
    rounds: int = 1,
    period_s: float = 20.0,
    ident: str = "none",
    message: str = "HI",
) -> Path:
    """A small practice event starting ``lead_s`` from now (real clock)."""
    start = start_utc or datetime.now(UTC) + timedelta(seconds=lead_s)
    text = practice_event_toml(
        start_utc=start,
        message=message,
        dit_s=dit_s,
        round_period_s=period_s,
        rounds=rounds,
        ident_rule=ident,
        ident_wpm=30,
        target="TEST",
    )
    path.write_text(text, encoding="utf-8")
    return path
