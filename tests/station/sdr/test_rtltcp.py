"""The rtl_tcp client against the in-process server, both speaking the real protocol."""

from __future__ import annotations

import socket
import struct
import threading
import time
from datetime import UTC, datetime

import numpy as np
import pytest

from station.clock import SimulatedClock
from station.errors import InputError, SourceError
from station.sdr.base import IQSource
from station.sdr.rtltcp import (
    CMD_SET_FREQ,
    CMD_SET_FREQ_CORRECTION,
    CMD_SET_GAIN,
    CMD_SET_GAIN_MODE,
    CMD_SET_SAMPLE_RATE,
    RtlTcpSource,
    complex_to_cu8,
    cu8_to_complex64,
    pack_command,
)
from station.sdr.rtltcp_server import RtlTcpServer

TONE_RF_HZ = 28_210_000.0
CENTER_HZ = 28_200_000.0
RATE_HZ = 240_000


def rf_tone(start: int, n: int, rate: float, freq: float) -> np.ndarray:
    """A tone at TONE_RF_HZ, phase-continuous in the stream position, at the server's tuning."""
    offset = TONE_RF_HZ - freq
    if abs(offset) >= rate / 2:
        return np.zeros(n, np.complex64)
    t = (start + np.arange(n)) / rate
    return (0.7 * np.exp(2j * np.pi * offset * t)).astype(np.complex64)


def peak_hz(x: np.ndarray, rate: float) -> float:
    spec = np.abs(np.fft.fft(x * np.hanning(x.size)))
    freqs = np.fft.fftfreq(x.size, 1 / rate)
    return float(freqs[int(np.argmax(spec))])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_cu8_scaling_and_inverse_are_exact():
    u8 = np.arange(256, dtype=np.uint8)
    x = cu8_to_complex64(np.concatenate([u8, u8[::-1]]).tobytes())
    expected = (np.concatenate([u8, u8[::-1]]).astype(np.float32) - 128) / 128
    assert np.array_equal(x.view(np.float32), expected)
    assert complex_to_cu8(x) == np.concatenate([u8, u8[::-1]]).tobytes()
    assert complex_to_cu8(np.array([5 + 5j, -5 - 5j])) == bytes([255, 255, 0, 0])


def test_client_reads_a_tone_at_the_right_offset_and_logs_the_settings():
    with RtlTcpServer(rf_tone, pace=False) as server:
        host, port = server.address
        src = RtlTcpSource(
            host, port, center_freq_hz=CENTER_HZ, sample_rate_hz=RATE_HZ, gain_db=29.7,
            freq_correction_ppm=-3,
        )  # fmt: skip
        assert isinstance(src, IQSource)
        with src:
            info = src.open()
            # The stream starts before the settings apply (as with rtl_tcp); unpaced, the
            # socket buffers hold a lot of it: read until the tuned tone shows.
            for _ in range(200):
                block = src.read(65536)
                if abs(peak_hz(block.samples, RATE_HZ) - 10_000) < 2 * RATE_HZ / 65536:
                    break
            block = src.read(65536)
    assert info.hardware == f"rtl_tcp {host}:{port} (tuner R820T)"
    assert info.datatype == "cu8" and info.sample_rate_hz == RATE_HZ and info.gain_db == 29.7
    assert info.start_utc is not None and info.start_utc.tzinfo is not None
    assert src.tuner_type == 5 and src.gain_count == 29
    assert block.samples.dtype == np.complex64 and block.samples.size == 65536
    assert block.raw is not None and len(block.raw) == 2 * 65536
    assert np.array_equal(block.samples, cu8_to_complex64(block.raw))
    assert abs(peak_hz(block.samples, RATE_HZ) - 10_000) < 2 * RATE_HZ / 65536
    assert block.dropped_before == 0
    assert server.commands[:5] == [
        (CMD_SET_SAMPLE_RATE, 240_000),
        (CMD_SET_FREQ, 28_200_000),
        (CMD_SET_GAIN_MODE, 1),
        (CMD_SET_GAIN, 297),
        (CMD_SET_FREQ_CORRECTION, 2**32 - 3),
    ]
    assert server.freq_correction_ppm == -3 and server.gain_tenth_db == 297
    assert server.errors == []


def test_blocks_are_consecutive_and_auto_gain_sends_no_gain():
    with RtlTcpServer(rf_tone, pace=False) as server:
        host, port = server.address
        with RtlTcpSource(host, port, center_freq_hz=CENTER_HZ, sample_rate_hz=2.4e6) as src:
            a, b = src.read(1000), src.read(3000)
    assert (a.start_sample, a.end_sample, b.start_sample, b.end_sample) == (0, 1000, 1000, 4000)
    assert (CMD_SET_GAIN_MODE, 0) in server.commands
    assert not any(cmd in (CMD_SET_GAIN, CMD_SET_FREQ_CORRECTION) for cmd, _ in server.commands)


@pytest.mark.parametrize("rate", [500_000, 225_000, 300_001, 900_000, 3_200_001, 0, float("nan")])
def test_rates_the_chip_rejects_fail_before_connecting(rate):
    with RtlTcpServer(rf_tone, pace=False) as server:
        host, port = server.address
        with pytest.raises(InputError, match="sample_rate_hz") as err:
            RtlTcpSource(host, port, center_freq_hz=CENTER_HZ, sample_rate_hz=rate)
        assert server.connections == 0
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("rate", [225_001, 240_000, 300_000, 900_001, 2_400_000, 3_200_000])
def test_valid_rates_are_accepted(rate):
    src = RtlTcpSource("127.0.0.1", 1234, center_freq_hz=CENTER_HZ, sample_rate_hz=rate)
    assert src.settings.sample_rate_hz == rate


@pytest.mark.parametrize("freq", [5e6, 23.9e6, 1.8e9, float("inf")])
def test_frequencies_the_tuner_cannot_reach_fail_before_connecting(freq):
    with pytest.raises(InputError, match="center_freq_hz"):
        RtlTcpSource("127.0.0.1", 1234, center_freq_hz=freq, sample_rate_hz=RATE_HZ)


@pytest.mark.parametrize(
    "kwargs",
    [{"gain_db": 70}, {"freq_correction_ppm": 1.5}, {"freq_correction_ppm": 5000},
     {"timeout_s": 0}],
)  # fmt: skip
def test_other_bad_settings_are_named(kwargs):
    with pytest.raises(InputError, match=next(iter(kwargs))):
        RtlTcpSource("127.0.0.1", 1234, center_freq_hz=CENTER_HZ, sample_rate_hz=RATE_HZ, **kwargs)


def test_dead_address_gives_one_line_error():
    port = free_port()
    src = RtlTcpSource("127.0.0.1", port, center_freq_hz=CENTER_HZ, sample_rate_hz=RATE_HZ)
    with pytest.raises(SourceError) as err:
        src.open()
    msg = str(err.value)
    assert f"127.0.0.1:{port}" in msg and "cannot connect" in msg and "\n" not in msg


def test_a_server_that_is_not_rtl_tcp_is_refused():
    listener = socket.create_server(("127.0.0.1", 0))

    def serve():
        conn, _ = listener.accept()
        conn.sendall(b"HTTP/1.1 200 OK\r\n\r\n")
        try:
            conn.recv(100)
        except OSError:
            pass
        conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    port = listener.getsockname()[1]
    src = RtlTcpSource("127.0.0.1", port, center_freq_hz=CENTER_HZ, sample_rate_hz=RATE_HZ)
    with pytest.raises(SourceError, match="RTL0") as err:
        src.open()
    thread.join(5)
    listener.close()
    assert "\n" not in str(err.value)


def test_drop_reconnects_resends_settings_and_reports_the_gap():
    with RtlTcpServer(rf_tone, pace=True) as server:
        host, port = server.address
        with RtlTcpSource(host, port, center_freq_hz=CENTER_HZ, sample_rate_hz=RATE_HZ) as src:
            blocks = [src.read(2400) for _ in range(10)]
            timer = threading.Timer(0.05, server.drop, kwargs={"refuse_s": 0.3})
            timer.start()
            while not any(b.dropped_before for b in blocks):
                blocks.append(src.read(2400))
                assert len(blocks) < 200
            timer.join()
    gap = next(b for b in blocks if b.dropped_before)
    assert 0.25 * RATE_HZ < gap.dropped_before < 1.0 * RATE_HZ
    for prev, block in zip(blocks, blocks[1:], strict=False):
        assert block.start_sample == prev.end_sample + block.dropped_before
    assert src.reconnects == 1 and server.connections == 2
    assert server.commands.count((CMD_SET_SAMPLE_RATE, RATE_HZ)) == 2
    assert server.commands.count((CMD_SET_FREQ, int(CENTER_HZ))) == 2


def test_drop_without_reconnect_is_an_error():
    with RtlTcpServer(rf_tone, pace=False) as server:
        host, port = server.address
        src = RtlTcpSource(
            host, port, center_freq_hz=CENTER_HZ, sample_rate_hz=RATE_HZ, reconnect=False
        )
        with src:
            src.read(100)
            server.drop(refuse_s=5)
            with pytest.raises(SourceError, match="connection lost"):
                for _ in range(10_000):
                    src.read(4096)


def test_server_gone_for_good_gives_up_after_reconnect_timeout():
    clock = SimulatedClock(datetime(2013, 10, 9, 18, 0, tzinfo=UTC))
    server = RtlTcpServer(rf_tone, pace=False).start()
    host, port = server.address
    src = RtlTcpSource(
        host, port, center_freq_hz=CENTER_HZ, sample_rate_hz=RATE_HZ, reconnect_timeout_s=10,
        clock=clock,
    )  # fmt: skip
    src.open()
    src.read(100)
    server.close()
    with pytest.raises(SourceError, match="not back after") as err:
        for _ in range(10_000):
            src.read(4096)
    assert "\n" not in str(err.value)
    src.close()


def test_server_parses_commands_in_any_chunking_and_refuses_bad_rates():
    with RtlTcpServer(rf_tone, pace=False) as server:
        with socket.create_connection(server.address, timeout=5) as sock:
            header = b""
            while len(header) < 12:
                header += sock.recv(12 - len(header))
            assert struct.unpack(">4sII", header) == (b"RTL0", 5, 29)
            stream = b"".join(
                [pack_command(CMD_SET_SAMPLE_RATE, 500_000), pack_command(CMD_SET_FREQ, 5_000_000),
                 pack_command(CMD_SET_SAMPLE_RATE, 250_000), pack_command(0x09, 0)]
            )  # fmt: skip
            for i in range(0, len(stream), 3):
                sock.sendall(stream[i : i + 3])
            assert server.wait_for(lambda s: len(s.commands) == 4)
    assert server.commands == [(2, 500_000), (1, 5_000_000), (2, 250_000), (9, 0)]
    assert server.sample_rate_hz == 250_000 and server.center_freq_hz == 100_000_000
    assert len(server.errors) == 2 and "500000" in server.errors[0]


def _trickling_server(header_too: bool):
    """A server that sends 2 bytes every 0.3 s: of its header, or of samples after it."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve():
        conn, _ = listener.accept()
        with conn:
            data = struct.pack(">4sII", b"RTL0", 5, 29)
            if not header_too:
                conn.sendall(data)
                data = b"\x80" * 10_000
            for i in range(0, len(data), 2):
                if stop.wait(0.3):
                    return
                try:
                    conn.sendall(data[i : i + 2])
                except OSError:
                    return

    threading.Thread(target=serve, daemon=True).start()
    return listener, stop


@pytest.mark.parametrize("header_too", [True, False])
def test_a_trickling_server_is_a_stall_not_a_hang(header_too):
    # A byte now and then never lets a per-recv timeout expire: the whole header,
    # and every block, has a deadline of its own.
    listener, stop = _trickling_server(header_too)
    src = RtlTcpSource("127.0.0.1", listener.getsockname()[1], center_freq_hz=CENTER_HZ,
                       sample_rate_hz=RATE_HZ, timeout_s=1.0, reconnect=False)  # fmt: skip
    t0 = time.monotonic()
    try:
        with pytest.raises(SourceError) as err:
            src.open()
            src.read(4096)
    finally:
        stop.set()
        src.close()
        listener.close()
    assert time.monotonic() - t0 < 4.0
    msg = str(err.value)
    assert ("of the 12-byte header" if header_too else "far slower than the sample rate") in msg


def test_port_zero_is_an_error_not_the_default_port():
    from station.sdr.spec import parse_source

    with pytest.raises(InputError, match="the port must be a number 1-65535"):
        parse_source("rtl_tcp://127.0.0.1:0")
    assert parse_source("rtl_tcp://127.0.0.1") == ("rtl_tcp", ("127.0.0.1", 1234))


def test_a_stalled_server_is_a_gap_then_a_reconnect():
    with RtlTcpServer(rf_tone) as server:
        src = RtlTcpSource(*server.address, center_freq_hz=CENTER_HZ, sample_rate_hz=RATE_HZ,
                           timeout_s=0.5)  # fmt: skip
        with src:
            src.read(24_000)
            server.stall(1.0)  # connected, silent: a drop after 0.5 s, back after ~1 s
            blocks = [src.read(24_000) for _ in range(3)]
    assert src.reconnects == 1
    lost = sum(b.dropped_before for b in blocks)
    assert 0.5 * RATE_HZ < lost < 2.0 * RATE_HZ
    assert all(b.samples.size == 24_000 for b in blocks[1:])


@pytest.mark.parametrize("stage", ["read", "reconnect", "open"])
def test_a_stop_request_ends_a_blocked_read_within_the_poll_slice(stage):
    from station.sdr.netwait import POLL_S

    with RtlTcpServer(rf_tone) as server:
        src = RtlTcpSource(*server.address, center_freq_hz=CENTER_HZ, sample_rate_hz=RATE_HZ,
                           timeout_s=30.0)  # fmt: skip
        stop = threading.Event()
        src.should_stop = stop.is_set
        if stage != "open":
            src.open()
            src.read(1000)
        server.drop(refuse_s=60) if stage == "reconnect" else server.stall(60)
        threading.Timer(0.3, stop.set).start()
        t0 = time.monotonic()
        try:
            if stage == "open":
                with pytest.raises(SourceError, match="stopped while connecting"):
                    src.open()
            else:
                block = src.read(240_000)
                assert block is None or block.samples.size < 240_000
        finally:
            src.close()
        assert time.monotonic() - t0 < 0.3 + POLL_S + 0.3
