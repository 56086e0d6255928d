# SPDX-License-Identifier: MIT
"""[metrics] under `svcwrap run` on Linux: the textfile and GET /metrics,
both parsed by a real Prometheus parser (Debian's python3-prometheus-client,
prometheus_client.parser.text_string_to_metric_families), following the
service through running, a failure and its backoff; the listener's bounds
(request size, connection cap, idle timeout, methods, paths); check refusing
a non-loopback listener."""
import select
import signal
import socket
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import scaled, wait_pid_file, wait_until
from test_posix_supervisor import Files, service_ini

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from promtext import free_port, samples, value  # noqa: E402


def scrape(port, path="/metrics"):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}",
                                timeout=scaled(5)) as r:
        return r.status, r.headers, r.read().decode()


def test_metrics_textfile_and_http_follow_the_service(ctx):
    f = Files(ctx.scratch)
    port = free_port()
    prom = ctx.scratch / "m" / "svc.prom"
    prom.parent.mkdir()
    # Fails after 400 ms, restarted 30 s later: long enough to look at
    # the backoff.
    ini = service_ini(ctx, "metered", f"--log {f.log} --ready-file {f.ready} --sleep 400 --exit 3", f"""
        [restart]
        delay = 30s
        max_delay = 30s
        [metrics]
        textfile = {prom}
        listen = 127.0.0.1:{port}
        interval = 1s
    """)
    w = ctx.wrapper(ini)
    wait_pid_file(f.ready)
    status, headers, text = scrape(port)
    assert status == 200
    assert headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    smp, types = samples(text)
    svc = {"service": "metered"}
    assert types["svcwrap_up"] == "gauge"
    assert types["svcwrap_restarts"] == "counter"  # the parser drops _total
    if value(smp, "svcwrap_up", **svc) == 1.0:  # before the 400 ms are over
        assert value(smp, "svcwrap_state", state="running", **svc) == 1.0
        assert value(smp, "svcwrap_child_start_time_seconds", **svc) > 1.7e9

    def backoff_in(text):
        s, _ = samples(text)
        return value(s, "svcwrap_state", state="backoff", **svc) == 1.0

    # The textfile follows the state change without waiting for a scrape.
    wait_until(lambda: prom.exists() and backoff_in(prom.read_text()),
               scaled(5), "the textfile to show backoff")
    for text in (prom.read_text(), scrape(port)[2]):
        smp, _ = samples(text)
        assert value(smp, "svcwrap_up", **svc) == 0.0
        assert value(smp, "svcwrap_state", state="running", **svc) == 0.0
        assert value(smp, "svcwrap_restarts_total", reason="failure", **svc) == 1.0
        assert value(smp, "svcwrap_restarts_total", reason="abnormal", **svc) == 0.0
        assert value(smp, "svcwrap_last_exit_code", **svc) == 3.0
        assert value(smp, "svcwrap_uptime_seconds", **svc) == 0.0
        assert value(smp, "svcwrap_log_dropped_bytes_total", **svc) == 0.0
        assert value(smp, "svcwrap_wrapper_start_time_seconds", **svc) > 1.7e9
        # Not measured in this build: absent, not 0.
        assert ("svcwrap_tree_memory_bytes", frozenset(svc.items())) not in smp
    assert not (prom.parent / "svc.prom.tmp").exists()
    # Rewritten every interval even without a change (uptime of nothing
    # stays 0, but the file is replaced: a new inode each time).
    ino = prom.stat().st_ino
    wait_until(lambda: prom.stat().st_ino != ino, scaled(4),
               "the textfile to be rewritten at the interval")
    w.signal(15)
    assert w.wait(10) == 0
    smp, _ = samples(prom.read_text())
    assert value(smp, "svcwrap_state", state="stopped", **svc) == 1.0
    # The listener is gone with the service.
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def raw(port, data, read_timeout=10.0):
    """Send bytes, return everything the server sends until it closes."""
    s = socket.create_connection(("127.0.0.1", port), timeout=scaled(read_timeout))
    try:
        if data:
            s.sendall(data)
        chunks = []
        while True:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
        return b"".join(chunks)
    finally:
        s.close()


def test_metrics_listener_bounds(ctx):
    f = Files(ctx.scratch)
    port = free_port()
    ini = service_ini(ctx, "bounded", f"--log {f.log} --ready-file {f.ready} --sleep -1", f"""
        [metrics]
        listen = {port}
    """)
    w = ctx.wrapper(ini)
    wait_pid_file(f.ready)
    w.wait_log(rf"metrics: serving GET /metrics on 127.0.0.1 port {port}")

    # First, while no other connection exists:
    # At most 16 connections: the others are closed at once. 20 idle
    # connections: exactly 4 are closed (whichever the kernel queued last),
    # 16 are kept (until their idle timeout).
    socks = [socket.create_connection(("127.0.0.1", port), timeout=scaled(5))
             for _ in range(20)]
    try:
        closed = set()
        end = time.monotonic() + scaled(2)
        while time.monotonic() < end and len(closed) < 4:
            ready, _, _ = select.select([s for s in socks if s not in closed],
                                        [], [], 0.1)
            for s in ready:
                assert s.recv(100) == b"", "a connection got data unasked"
                closed.add(s)
        time.sleep(0.3)  # would a 5th be closed too?
        ready, _, _ = select.select([s for s in socks if s not in closed],
                                    [], [], 0)
        assert len(closed) == 4 and not ready, (len(closed), len(ready))
    finally:
        for s in socks:
            s.close()

    def serves():
        # Refused (reset) while the closed ones are still being released.
        try:
            return scrape(port)[0] == 200
        except OSError:
            return False

    # The 16 are released once the wrapper has read their end.
    wait_until(serves, scaled(5), "the listener to serve again")

    assert raw(port, b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n").startswith(b"HTTP/1.1 404 ")
    r = raw(port, b"POST /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    assert r.startswith(b"HTTP/1.1 405 ") and b"Allow: GET, HEAD" in r
    assert raw(port, b"garbage\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    r = raw(port, b"HEAD /metrics HTTP/1.1\r\n\r\n")
    assert r.startswith(b"HTTP/1.1 200 ") and r.endswith(b"\r\n\r\n")
    # A request head larger than 8 KiB is refused, not buffered.
    r = raw(port, b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 20000 + b"\r\n\r\n")
    assert r.startswith(b"HTTP/1.1 431 ")
    # A client that never finishes its request is cut off after 5 s.
    t0 = time.monotonic()
    r = raw(port, b"GET /metrics HTTP/1.1\r\n", read_timeout=15)
    assert r.startswith(b"HTTP/1.1 408 ")
    took = time.monotonic() - t0
    assert 4.0 <= took <= scaled(10), took

    smp, _ = samples(scrape(port)[2])
    assert value(smp, "svcwrap_up", service="bounded") == 1.0
    w.signal(15)
    assert w.wait(10) == 0


def test_check_refuses_a_remote_listener(ctx):
    ini = service_ini(ctx, "remote", "--sleep -1", """
        [metrics]
        listen = 0.0.0.0:9561
    """)
    r = ctx.run_svcwrap(["check", "-c", ini])
    assert r.returncode == 2
    assert ":9: error: [metrics] listen: 0.0.0.0 is not a loopback address" in r.stderr, r.stderr
    ini.write_text(ini.read_text() + "allow_remote = true\n")
    r = ctx.run_svcwrap(["check", "-c", ini])
    assert r.returncode == 0, r.stderr


def test_metrics_tree_usage_and_probe_failures(ctx):
    """With a running child the tree's memory and CPU are exported, and
    with a probe its failures (a TCP probe to a closed port, failing
    without restarting: probe_failures is high)."""
    f = Files(ctx.scratch)
    port, closed = free_port(), free_port()
    ini = service_ini(ctx, "usage", f"--log {f.log} --ready-file {f.ready} --sleep -1", f"""
        [health]
        probe = tcp://127.0.0.1:{closed}
        probe_interval = 100ms
        probe_timeout = 1s
        probe_failures = 1000
        [metrics]
        listen = 127.0.0.1:{port}
    """)
    w = ctx.wrapper(ini)
    wait_pid_file(f.ready)
    svc = {"service": "usage"}

    def failures():
        smp, _ = samples(scrape(port)[2])
        return value(smp, "svcwrap_probe_failures_total", **svc) or 0

    wait_until(lambda: failures() >= 2, scaled(10), "two probe failures")
    smp, types = samples(scrape(port)[2])
    assert value(smp, "svcwrap_tree_memory_bytes", **svc) > 100_000
    assert value(smp, "svcwrap_tree_cpu_seconds_total", **svc) >= 0
    assert types["svcwrap_probe_failures"] == "counter"
    w.signal(signal.SIGTERM)
    assert w.wait(10) == 0, w.log()


def test_metrics_without_health_leave_usage_out(ctx):
    """No probe: no probe metric (absent, not 0)."""
    f = Files(ctx.scratch)
    port = free_port()
    ini = service_ini(ctx, "nousage", f"--log {f.log} --ready-file {f.ready} --sleep -1", f"""
        [metrics]
        listen = 127.0.0.1:{port}
    """)
    w = ctx.wrapper(ini)
    wait_pid_file(f.ready)
    smp, _ = samples(scrape(port)[2])
    assert not any(k[0] == "svcwrap_probe_failures_total" for k in smp)
    assert value(smp, "svcwrap_tree_memory_bytes", service="nousage") > 0
    w.signal(signal.SIGTERM)
    assert w.wait(10) == 0, w.log()
