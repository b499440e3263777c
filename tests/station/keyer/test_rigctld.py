"""The rigctld client against a real rigctld, and a fake for replies it cannot give."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing

import pytest

from station.errors import InputError, RigError
from station.keyer.rigctld import RigctldKeyer
from station.keyer.rigctld_client import RigctldClient, parse_rig_address

from .conftest import free_port


def test_set_and_read_back(rigctld):
    with RigctldClient(rigctld.host, rigctld.port) as c:
        c.set_freq(28_412_345)
        assert c.get_freq() == 28_412_345
        c.set_mode("CW")
        assert c.get_mode() == "CW"
        c.set_ptt(1)
        assert c.get_ptt() is True
        assert rigctld.ptt() is True  # seen from another connection too
        c.set_ptt(0)
        assert c.get_ptt() is False
        c.send_morse("DE N0CALL")


def test_error_reply_names_hamlib_meaning(rigctld):
    with RigctldClient(rigctld.host, rigctld.port) as c:
        with pytest.raises(RigError, match=r"RPRT -11 \(function not available\)"):
            c.command("\\stop_morse")
        # the connection stays in step after an error reply
        c.set_freq(28_000_000)
        assert c.get_freq() == 28_000_000


def test_keyer_open_tunes_and_unkeys(rigctld):
    probe = rigctld.probe()
    probe.set_ptt(1)
    with closing(RigctldKeyer(rigctld.host, rigctld.port)) as k:
        reply = k.open(28_400_000, "CW")
        assert "28.400000 MHz CW" in reply
        assert probe.get_ptt() is False
        assert probe.get_freq() == 28_400_000
        k.set_key(True)
        assert probe.get_ptt() is True
        assert k.emergency_unkey().startswith("RPRT 0")
        assert probe.get_ptt() is False


def test_unreachable_rig_is_a_clear_error():
    port = free_port()
    with pytest.raises(RigError, match=rf"cannot reach rigctld at 127.0.0.1:{port}"):
        RigctldClient("127.0.0.1", port, timeout_s=0.5)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("localhost:4532", ("localhost", 4532)),
        ("rig", ("rig", 4532)),
        ("[::1]:4533", ("::1", 4533)),
    ],
)
def test_parse_rig_address(text, expected):
    assert parse_rig_address(text) == expected


@pytest.mark.parametrize("text", ["", ":4532", "host:0", "host:99999", "host:abc"])
def test_parse_rig_address_rejects(text):
    with pytest.raises(InputError, match="--rig="):
        parse_rig_address(text)


# A fake rigctld, only for replies the real dummy rig never gives.
class _Fake(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, answer: Callable[[str], bytes | None]) -> None:
        self.answer = answer
        self.seen: list[str] = []

        class Handler(socketserver.StreamRequestHandler):
            def handle(handler) -> None:  # noqa: N805
                for raw in handler.rfile:
                    cmd = raw.decode().strip()
                    self.seen.append(cmd)
                    reply = self.answer(cmd)
                    if reply is None:  # stall: never answer
                        threading.Event().wait(5)
                        return
                    handler.wfile.write(reply)

        super().__init__(("127.0.0.1", 0), Handler)


@pytest.fixture
def fake() -> Iterator[Callable[[Callable[[str], bytes | None]], _Fake]]:
    servers: list[_Fake] = []

    def make(answer):
        srv = _Fake(answer)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
        return srv

    yield make
    for srv in servers:
        srv.shutdown()
        srv.server_close()


def _normal(cmd: str) -> bytes:
    verb = cmd.lstrip("+\\").split()[0]
    if verb == "get_freq":
        return b"get_freq:\nFrequency: 28400000\nRPRT 0\n"
    if verb == "get_mode":
        return b"get_mode:\nMode: CW\nPassband: 500\nRPRT 0\n"
    if verb == "get_ptt":
        return b"get_ptt:\nPTT: 0\nRPRT 0\n"
    return f"{verb}: x\nRPRT 0\n".encode()


def test_rejected_ptt_stops_with_hamlib_meaning(fake):
    srv = fake(lambda c: b"set_ptt: 1\nRPRT -9\n" if c == "+\\set_ptt 1" else _normal(c))
    with closing(RigctldKeyer("127.0.0.1", srv.server_address[1])) as k:
        k.open(28_400_000, "CW")
        with pytest.raises(RigError, match=r"RPRT -9 \(command rejected by the rig\)"):
            k.set_key(True)


def test_silent_rig_times_out(fake):
    srv = fake(lambda c: None if "set_ptt 1" in c else _normal(c))
    with closing(RigctldKeyer("127.0.0.1", srv.server_address[1], timeout_s=0.3)) as k:
        k.open(28_400_000, "CW")
        with pytest.raises(RigError, match=r"did not answer '\\set_ptt 1' within 0.3 s"):
            k.set_key(True)


def test_reply_out_of_step_is_detected(fake):
    srv = fake(lambda c: b"get_freq:\nFrequency: 1\nRPRT 0\n" if "set_ptt 1" in c else _normal(c))
    with closing(RigctldKeyer("127.0.0.1", srv.server_address[1])) as k:
        k.open(28_400_000, "CW")
        with pytest.raises(RigError, match="protocol out of step"):
            k.set_key(True)


def test_garbage_reply(fake):
    srv = fake(lambda c: b"set_ptt: 1\nRPRT zero\n")
    with RigctldClient("127.0.0.1", srv.server_address[1]) as c:
        with pytest.raises(RigError, match="unreadable reply"):
            c.set_ptt(1)


def test_rig_that_does_not_tune_is_refused(fake):
    srv = fake(
        lambda c: b"get_freq:\nFrequency: 14074000\nRPRT 0\n" if "get_freq" in c else _normal(c)
    )
    with closing(RigctldKeyer("127.0.0.1", srv.server_address[1])) as k:
        refused = r"asked for 28.400000 MHz, the rig reports 14.074000 MHz"
        with pytest.raises(RigError, match=refused):
            k.open(28_400_000, "CW")
    assert not any("set_ptt 1" in c for c in srv.seen)


def test_connection_closed_mid_command(fake):
    def answer(cmd: str) -> bytes:
        raise ConnectionResetError  # handler dies: the socket closes

    srv = fake(answer)
    with RigctldClient("127.0.0.1", srv.server_address[1]) as c:
        with pytest.raises(RigError, match="closed the connection|stopped answering"):
            c.set_ptt(0)


def test_identify_does_not_send_morse_after_a_timeout(fake):
    srv = fake(lambda c: None if "set_level" in c else _normal(c))
    with closing(RigctldKeyer("127.0.0.1", srv.server_address[1], timeout_s=0.3)) as k:
        k.open(28_400_000, "CW")
        with pytest.raises(RigError, match="did not answer"):
            k.identify("DE N0CALL", 20)
    assert not any("send_morse" in c for c in srv.seen)


def test_identify_goes_on_when_the_keyer_speed_cannot_be_set(fake):
    srv = fake(lambda c: b"set_level: KEYSPD 20\nRPRT -11\n" if "set_level" in c else _normal(c))
    with closing(RigctldKeyer("127.0.0.1", srv.server_address[1])) as k:
        k.open(28_400_000, "CW")
        assert "keyer speed not set" in k.identify("DE N0CALL", 20)
    assert any("send_morse DE N0CALL" in c for c in srv.seen)


def test_a_command_that_timed_out_is_undone_where_it_waits():
    # A frozen daemon: the kernel accepts the connection and queues what is sent,
    # nobody reads it, and the daemon runs it when it wakes.  After the timeout the
    # client queues "\set_ptt 0" behind it on the same connection (one connection's
    # commands run in order), then sends nothing more.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        client = RigctldClient("127.0.0.1", listener.getsockname()[1], timeout_s=0.3)
        daemon, _ = listener.accept()
        with daemon:
            with pytest.raises(RigError, match="did not answer"):
                client.set_ptt(1)
            with pytest.raises(RigError, match="dropped after a failure"):
                client.set_ptt(1)  # the dead connection sends nothing more
            time.sleep(0.1)  # the daemon wakes and reads its queue
            daemon.settimeout(1.0)
            queued = b""
            while chunk := daemon.recv(100):
                queued += chunk
    assert queued.decode().splitlines() == ["+\\set_ptt 1", "+\\set_ptt 0"]


def test_a_key_down_is_never_queued_in_a_daemon_that_does_not_answer():
    # rigctld frozen just before a key-down: a "\set_ptt 1" sent then would wait in
    # its socket and key the transmitter when it wakes, after keying has stopped
    # (the daemon's trace showed it run, bench/faults.py).  The key-down goes only
    # to a daemon that has just answered; here it never is sent at all.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        keyer = RigctldKeyer("127.0.0.1", listener.getsockname()[1], timeout_s=0.3)
        keyer.client  # noqa: B018  (connects)
        daemon, _ = listener.accept()
        with daemon:
            with pytest.raises(RigError, match="did not answer"):
                keyer.set_key(True)
            time.sleep(0.1)
            daemon.settimeout(1.0)
            queued = b""
            while chunk := daemon.recv(100):
                queued += chunk
        keyer.close()
    assert queued.decode().splitlines() == ["+\\get_ptt", "+\\set_ptt 0"]
