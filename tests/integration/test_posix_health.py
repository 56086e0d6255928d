# SPDX-License-Identifier: MIT
"""[health] probes and resource limits, native: memory_max (the /proc RSS
fallback where cgroup v2 cannot hold it, which is what runs on a cgroup v1
host), an HTTP probe served from this test and then made to fail, a TCP
probe, an exec: probe (and its timeout), the CPU window rule with a busy
child, status's health fields, and that [health] keys that are unset cost
the idle wrapper nothing."""
import http.server
import os
import re
import shutil
import socket
import subprocess
import threading

import pytest

from conftest import (TESTCHILD, parse_log, scaled, wait_pid_file, wait_until,
                      write_ini)
from test_posix_idle import count_syscalls


def health_ini(ctx, name, args, health, restart="delay = 100ms"):
    return write_ini(ctx.scratch, f"""
[service]
name = {name}
[process]
executable = {TESTCHILD}
arguments = {args}
[restart]
{restart}
[health]
{health}
""")


def log_file_entries(path):
    """(time, text) of each line of a child's log file with timestamps."""
    out = []
    for line in path.read_text(errors="replace").splitlines():
        m = re.match(r"^(\S+) (.*)$", line)
        if m:
            from conftest import parse_log_time
            out.append((parse_log_time(m[1]), m[2]))
    return out


def cgroup2_mounted():
    r = subprocess.run(["stat", "-fc", "%T", "/sys/fs/cgroup"],
                       capture_output=True, text=True)
    return r.stdout.strip() == "cgroup2fs"


class Server:
    """A small HTTP server in a thread: answers GET with self.code."""

    def __init__(self):
        self.code = 200
        self.hits = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                outer.hits += 1
                body = b"ok\n" if outer.code < 400 else b"broken\n"
                self.send_response(outer.code)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def status(ctx, ini):
    rc, doc = ctx.status_json(ini)
    assert rc == 0, doc
    return doc


def wait_status(ctx, ini, pred, timeout, what):
    """Poll status --json until pred(doc) holds (the wrapper may not be
    listening yet at first); return the document."""
    def check():
        rc, doc = ctx.status_json(ini)
        return doc if rc == 0 and pred(doc) else None
    return wait_until(check, timeout, what)


def test_memory_max_restarts_a_tree_above_it(ctx):
    """A child that allocates 300 MiB against memory_max = 100MB is
    restarted as unhealthy, the log has the figure, and on a host where
    cgroup v2 cannot hold it the /proc fallback is chosen with its reason."""
    ini = health_ini(ctx, "memmax", "--alloc-mib 300 --sleep -1",
                     "memory_max = 100MB")
    w = ctx.wrapper(ini)
    m = w.wait_log(r"memory ([\d.]+) MiB \((\d+) process(?:es)?\) above memory_max "
                   r"100\.0 MiB; restarting the child", 10)
    assert float(m[1]) > 100
    w.wait_log(r"started .*\(restart 1\)", 5)
    log = w.log()
    # The fallback, and why (this machine: cgroup v1).
    fb = re.search(r"memory_max 100\.0 MiB: the OS cannot hold it here \((.+)\); "
                   r"sampling the tree's memory every 500ms instead", log)
    assert fb, log
    if not cgroup2_mounted():
        assert "is not cgroup v2" in fb[1], fb[1]
    assert log.count("the OS cannot hold it here") == 1, "said once, not per restart"
    doc = status(ctx, ini)
    assert doc["last_exit"]["class"] == "unhealthy"
    assert doc["last_restart_reason"].startswith("unhealthy: memory "), doc
    # The delay from the allocation being complete (the child says so on
    # stdout; the log file stamps it) to the restart decision.
    out = ctx.scratch / "logs" / "memmax.out.log"
    wait_until(lambda: out.exists() and "allocated 300 MiB" in out.read_text(), 5,
               "the child's allocated line")
    t_alloc = next(t for t, text in log_file_entries(out) if text == "allocated 300 MiB")
    t_restart = w.log_time(r"above memory_max .*restarting the child")
    print(f"\nmemory_max: allocation done -> restart decision "
          f"{(t_restart - t_alloc) * 1000:.0f} ms (sampling every 500 ms)")
    assert t_restart - t_alloc < scaled(1.5)
    w.signal(15)
    assert w.wait(10) == 0


def test_memory_below_max_is_left_alone(ctx):
    """The same child against memory_max = 1GB keeps running; status shows
    the tree's memory (above 300 MiB once allocated)."""
    f_ready = ctx.scratch / "ready"
    ini = health_ini(ctx, "memok", f"--alloc-mib 300 --ready-file {f_ready} --sleep -1",
                     "memory_max = 1GB")
    w = ctx.wrapper(ini)
    wait_pid_file(f_ready)
    doc = wait_status(ctx, ini, lambda d: (d.get("memory_bytes") or 0) > 300 << 20, 10, "status to show 300 MiB")
    assert doc["tree_processes"] == 1
    assert doc["restarts"] == 0 and doc["last_restart_reason"] is None
    assert "above memory_max" not in w.log()
    w.signal(15)
    assert w.wait(10) == 0


def test_http_probe_restarts_when_it_fails(ctx):
    """An HTTP probe against a server in this test: healthy while it answers
    200, status shows it; answering 500, probe_failures = 2 restarts the
    child as unhealthy with the status in the reason."""
    srv = Server()
    try:
        ini = health_ini(ctx, "http", "--sleep -1", f"""
probe = http://127.0.0.1:{srv.port}/healthz
probe_interval = 200ms
probe_timeout = 1s
probe_failures = 2
""")
        w = ctx.wrapper(ini)
        doc = wait_status(ctx, ini, lambda d: (d["probe"] or {}).get("result"), 5, "a probe result")
        assert doc["probe"]["result"] == "ok", doc
        assert doc["probe"]["detail"] == "HTTP 200"
        assert doc["probe"]["target"] == f"http://127.0.0.1:{srv.port}/healthz"
        assert doc["probe"]["consecutive_failures"] == 0
        srv.code = 500
        import time
        t_fail = time.time()
        w.wait_log(r"probe \S+ failed 2 times in a row \(last: HTTP 500\)", 5)
        w.wait_log(r"started .*\(restart 1\)", 5)
        t_restart = w.log_time(r"failed 2 times in a row")
        print(f"\nhttp probe: server failing -> restart decision "
              f"{(t_restart - t_fail) * 1000:.0f} ms (interval 200 ms, 2 failures)")
        doc = status(ctx, ini)
        assert doc["last_exit"]["class"] == "unhealthy"
        assert "HTTP 500" in doc["last_restart_reason"]
        # Healthy again after the restart: the count starts from zero.
        srv.code = 204
        wait_status(ctx, ini, lambda d: (d["probe"] or {}).get("detail") == "HTTP 204", 5, "the probe to see 204")
        assert srv.hits >= 4
        w.signal(15)
        assert w.wait(10) == 0
    finally:
        srv.close()


def test_http_probe_rejects_a_non_http_answer_and_a_silent_server(ctx):
    """A listener that answers garbage fails the probe; one that accepts
    and never answers fails it at probe_timeout."""
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(16)
    port = ls.getsockname()[1]
    stop = threading.Event()
    mode = {"garbage": True}
    conns = []

    def serve():
        ls.settimeout(0.1)
        while not stop.is_set():
            try:
                c, _ = ls.accept()
            except OSError:
                continue
            conns.append(c)
            if mode["garbage"]:
                try:
                    c.sendall(b"SSH-2.0-nope\r\n")
                except OSError:
                    pass
    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        ini = health_ini(ctx, "httpbad", "--sleep -1", f"""
probe = http://127.0.0.1:{port}/
probe_interval = 200ms
probe_timeout = 300ms
probe_failures = 5
""")
        w = ctx.wrapper(ini)
        w.wait_log(r"failed \(not an HTTP/1\.x response\): 1 of 5", 5)
        mode["garbage"] = False
        w.wait_log(r"failed \(no answer within 300ms\)", 5)
        w.signal(15)
        assert w.wait(10) == 0
    finally:
        stop.set()
        t.join()
        ls.close()
        for c in conns:
            c.close()


def test_tcp_probe(ctx):
    """tcp://: healthy while something listens; after the listener closes,
    connection refused restarts the child."""
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(64)
    port = ls.getsockname()[1]
    ini = health_ini(ctx, "tcp", "--sleep -1", f"""
probe = tcp://127.0.0.1:{port}
probe_interval = 200ms
probe_failures = 2
""")
    w = ctx.wrapper(ini)
    doc = wait_status(ctx, ini, lambda d: (d["probe"] or {}).get("result"), 5, "a probe result")
    assert doc["probe"]["result"] == "ok" and doc["probe"]["detail"] == "connected", doc
    ls.close()
    w.wait_log(r"probe tcp://\S+ failed 2 times in a row \(last: connect: connection refused\)", 5)
    w.wait_log(r"started .*\(restart 1\)", 5)
    assert status(ctx, ini)["probe"]["result"] in ("failed", None)
    w.signal(15)
    assert w.wait(10) == 0


def test_exec_probe_and_its_timeout(ctx):
    """exec: healthy on exit 0 (a file exists), restarts on exit 1 (it was
    removed); a probe command that hangs is killed at probe_timeout, with
    what it started, and counts as a failure."""
    flag = ctx.scratch / "healthy"
    flag.write_text("1")
    ini = health_ini(ctx, "exec", "--sleep -1", f"""
probe = exec:sh -c "test -e '{flag}'"
probe_interval = 200ms
probe_failures = 2
""")
    w = ctx.wrapper(ini)
    doc = wait_status(ctx, ini, lambda d: (d["probe"] or {}).get("result"), 5, "a probe result")
    assert doc["probe"]["result"] == "ok" and doc["probe"]["detail"] == "exit code 0", doc
    flag.unlink()
    w.wait_log(r"failed 2 times in a row \(last: exit code 1\)", 5)
    w.signal(15)
    assert w.wait(10) == 0

    pidfile = ctx.scratch / "sleeper.pid"
    ini2 = health_ini(ctx, "exechang", "--sleep -1", f"""
probe = exec:sh -c "sleep 30 & echo $! > '{pidfile}'; wait"
probe_interval = 200ms
probe_timeout = 300ms
probe_failures = 3
""")
    w2 = ctx.wrapper(ini2)
    w2.wait_log(r"probe .* killing it after 300ms", 5)
    w2.wait_log(r"failed \(no answer within 300ms\): 1 of 3", 5)
    sleeper = wait_pid_file(pidfile)
    from conftest import wait_pid_gone
    wait_pid_gone(sleeper, 3, "the hung probe's own child to be killed")
    w2.signal(15)
    assert w2.wait(10) == 0


def test_cpu_max_restarts_a_busy_child(ctx):
    """A busy child (100% of a CPU) against cpu_max = 50% over a 1 s window
    is restarted as unhealthy after about the window, with the figure."""
    ini = health_ini(ctx, "cpubusy", "--busy --sleep -1",
                     "cpu_max = 50%\ncpu_window = 1s")
    w = ctx.wrapper(ini)
    m = w.wait_log(r"cpu ([\d.]+)% of one CPU above cpu_max 50% for cpu_window 1000ms; "
                   r"restarting the child", 10)
    assert float(m[1]) > 50
    t_start = w.log_time(r"started .*\(restart 0\)")
    t_verdict = w.log_time(r"above cpu_max")
    print(f"\ncpu_max: child start -> restart decision {(t_verdict - t_start) * 1000:.0f} ms "
          f"(window 1000 ms, samples every 100 ms)")
    assert t_verdict - t_start >= 1.0
    w.wait_log(r"started .*\(restart 1\)", 5)
    doc = status(ctx, ini)
    assert doc["last_restart_reason"].startswith("unhealthy: cpu ")
    w.signal(15)
    assert w.wait(10) == 0


def test_cpu_max_leaves_an_idle_child_alone(ctx):
    """A sleeping child under cpu_max = 50%, window 500ms: a few windows
    pass without a restart; status shows its CPU use (near 0)."""
    ready = ctx.scratch / "ready"
    ini = health_ini(ctx, "cpuidle", f"--ready-file {ready} --sleep -1",
                     "cpu_max = 50%\ncpu_window = 500ms")
    w = ctx.wrapper(ini)
    wait_pid_file(ready)
    # Status itself is the clock here: poll it for well over 3 windows.
    doc = wait_status(ctx, ini, lambda d: (d["uptime_ms"] or 0) >= 2000, 10, "2 s of uptime")
    assert doc["restarts"] == 0
    assert doc["cpu_percent"] is not None and doc["cpu_percent"] < 50
    assert "above cpu_max" not in w.log()
    w.signal(15)
    assert w.wait(10) == 0


def test_unset_health_keys_cost_nothing(ctx):
    """[health] written out with every probe/limit key at its 'off' value:
    the idle wrapper still makes no system call (no timer, no sampling)."""
    if shutil.which("strace") is None:
        pytest.fail("strace is missing; scripts/setup installs it")
    ready = ctx.scratch / "ready"
    ini = health_ini(ctx, "idlehealth", f"--ready-file {ready} --sleep -1", """
probe =
probe_interval = 100ms
probe_timeout = 50ms
probe_failures = 1
probe_start_delay = 0
memory_max = 0
cpu_max = 0%
cpu_window = 200ms
""")
    w = ctx.wrapper(ini)
    wait_pid_file(ready)
    seconds = max(3, int(scaled(3)))
    calls = count_syscalls(w.pid, seconds)
    calls.pop("restart_syscall", None)
    assert calls == {}, f"the idle wrapper made system calls in {seconds}s: {calls}"
    doc = status(ctx, ini)
    assert doc["probe"] is None
    w.signal(15)
    assert w.wait(5) == 0


def test_check_rejects_bad_health_values(ctx):
    """check: bad probe, cpu_max, probe_failures with file:line."""
    ini = write_ini(ctx.scratch, f"""
[service]
name = badhealth
[process]
executable = {TESTCHILD}
[health]
probe = https://127.0.0.1/
cpu_max = ninety
probe_failures = 0
""")
    r = ctx.run_svcwrap(["check", "-c", ini])
    assert r.returncode == 2
    assert re.search(r"svc\.ini:6: error: \[health\] probe: https is not supported", r.stderr), r.stderr
    assert re.search(r"svc\.ini:7: error: \[health\] cpu_max: ", r.stderr), r.stderr
    assert re.search(r"svc\.ini:8: error: \[health\] probe_failures: ", r.stderr), r.stderr
