"""The dashboard server without a browser: loopback by default, the token, the grabs, SSE."""

from __future__ import annotations

import json
import os
import signal
import socket
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import httpx
import pytest

from station.errors import InputError
from station.web import start_server
from tests.station.helpers import assert_one_error_line, invoke

ROOT = Path(__file__).resolve().parents[3]


def tiny_png(level: int = 0) -> bytes:
    """A valid 1 x 1 grey PNG (a stand-in for a grab)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(bytes([0, level]))) + chunk(b"IEND", b""))  # fmt: skip



def _listeners(port: int) -> list[str]:
    """Local addresses listening on ``port`` (hex, as /proc/net/tcp{,6} writes them)."""
    found = []
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(name):
            continue
        with open(name) as f:
            for line in f.readlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                addr, hex_port = local.split(":")
                if int(hex_port, 16) == port and state == "0A":  # LISTEN
                    found.append(addr)
    return found


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("run")
    (run_dir / "status.json").write_text(json.dumps({"state": "waiting", "round": None}))
    (run_dir / "grabs").mkdir()
    (run_dir / "grabs" / "N0CALL_10m_20261205_0000Z_L.png").write_bytes(tiny_png())
    (run_dir / "secret.png").write_bytes(tiny_png())
    running = start_server(run_dir, poll_s=0.05)
    yield running, run_dir
    running.stop()


def test_by_default_nothing_listens_beyond_loopback(served):
    running, _ = served
    assert running.host == "127.0.0.1" and running.token is None
    assert running.sockets == [("127.0.0.1", running.port)]
    assert _listeners(running.port) == ["0100007F"]  # 127.0.0.1, and nothing else


def test_grabs_are_served_from_the_grabs_folder_only(served):
    running, _ = served
    with httpx.Client(base_url=running.url) as c:
        ok = c.get("/grabs/N0CALL_10m_20261205_0000Z_L.png")
        assert ok.status_code == 200 and ok.headers["content-type"] == "image/png"
        for bad in ("/grabs/..%2Fsecret.png", "/grabs/../secret.png", "/grabs/%2E%2E/secret.png",
                    "/grabs/.hidden.png", "/grabs/missing.png", "/static/../feed.py",
                    "/static/index.html.bak"):  # fmt: skip
            assert c.get(bad).status_code == 404, bad
        page = c.get("/")
        assert page.status_code == 200 and '<link rel="icon" href="data:,">' in page.text
        assert "http" not in page.text.replace("http-equiv", "")  # no CDN: every asset local
        assert c.get("/api/status").json() == {"state": "waiting", "round": None}


def test_events_send_a_snapshot_then_each_new_tx_line(served):
    running, run_dir = served
    with httpx.Client(base_url=running.url, timeout=5) as c, c.stream("GET", "/events") as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        lines = r.iter_lines()
        seen = []
        for line in lines:
            seen.append(line)
            if line == "event: clock":
                break
        assert "event: status" in seen and "event: grabs" in seen, seen
        with open(run_dir / "tx.jsonl", "a") as f:
            f.write('{"type": "edge", "key": "down", "planned_utc": "2026-12-05T00:00:00.000Z"}\n')
            f.write('{"type": "edge", "key": "u')  # half-written: not sent until complete
        for line in lines:
            if line == "event: tx":
                data = json.loads(next(lines).removeprefix("data: "))
                break
        assert data["d"]["key"] == "down" and data["t"] > 1.7e12
        assert running.clients == 1


def test_a_token_is_required_on_every_request(tmp_path):
    running = start_server(tmp_path, token="s3cret-token")
    try:
        base = f"http://127.0.0.1:{running.port}"
        assert running.url == base + "/?token=s3cret-token"
        with httpx.Client(base_url=base) as c:
            for path in ("/", "/events", "/api/status", "/static/app.js", "/grabs/x.png"):
                assert c.get(path).status_code == 401, path
            assert c.get("/?token=wrong").status_code == 401
            assert c.get("/", headers={"Authorization": "Bearer wrong"}).status_code == 401
            assert c.get("/api/status", headers={"Authorization": "Bearer s3cret-token"}
                         ).status_code == 200  # fmt: skip
            first = c.get("/?token=s3cret-token")
            assert first.status_code == 200 and "HttpOnly" in first.headers["set-cookie"]
            assert c.get("/static/app.js").status_code == 200  # the cookie from now on
    finally:
        running.stop()


def test_binding_beyond_loopback_generates_a_token(tmp_path):
    running = start_server(tmp_path, host="0.0.0.0")
    try:
        assert running.token and running.url.endswith(f"?token={running.token}")
        assert _listeners(running.port) == ["00000000"]
        with socket.create_connection(("127.0.0.1", running.port), timeout=2):
            pass
        with httpx.Client(base_url=f"http://127.0.0.1:{running.port}") as c:
            assert c.get("/api/status").status_code == 401
            assert c.get(f"/api/status?token={running.token}").status_code == 200
    finally:
        running.stop()


def test_control_is_refused_and_bad_options_are_one_line_errors(tmp_path, runner):
    with pytest.raises(InputError, match="read-only"):
        start_server(tmp_path, control=True)
    assert_one_error_line(invoke(runner, "serve", tmp_path, "--control"), "--control", "read-only")
    assert_one_error_line(invoke(runner, "serve", tmp_path / "nope"), "not a directory")
    assert_one_error_line(invoke(runner, "serve", tmp_path, "--port", "70000"), "--port 70000")


def test_serve_command_serves_until_sigterm(tmp_path):
    (tmp_path / "status.json").write_text('{"state": "finished"}')
    proc = subprocess.Popen(
        [sys.executable, "-m", "station.cli", "serve", str(tmp_path), "--port", "0"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("dashboard: http://127.0.0.1:") and "loopback only" in line, line
        assert httpx.get(line.split()[1] + "api/status").json() == {"state": "finished"}
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert out.strip() == "dashboard stopped (SIGTERM)"
