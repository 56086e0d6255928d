# SPDX-License-Identifier: MIT
"""[health] probes and resource limits of svcwrap.exe under Wine's real
SCM: memory_max (the job object's JOB_OBJECT_LIMIT_JOB_MEMORY, and the
sampled backstop where Wine does not enforce it), an HTTP probe served
from this test and then made to fail, a TCP probe, an exec: probe run in
the child's job, and the CPU window rule with a busy child. The service
stays RUNNING through each health restart."""
import http.server
import re
import socket
import threading

from conftest import WIN, wait_until, winpath

CHILD = WIN / "testchild.exe"


def health_service(service, args, health):
    service.write_child_ini(args, f"""[stop]
method = ctrl-c, terminate
timeout = 2s

[restart]
delay = 100ms

[health]
{health}
""")
    service.install()
    service.svcwrap("start")
    service.scm.wait_state(service.name, "RUNNING")


def wait_log(service, pattern, timeout, what):
    rx = re.compile(pattern)
    return wait_until(lambda: rx.search(service.wrapper_log()), timeout, what)


def stop(service):
    service.scm.stop(service.name)
    service.scm.wait_state(service.name, "STOPPED", 60)


class Server:
    def __init__(self):
        self.code = 200
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                body = b"x\n"
                self.send_response(outer.code)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_memory_max_restart(service):
    """testchild.exe allocates 300 MiB against memory_max = 100MB: the
    child is restarted as unhealthy, with the figure in the log; the
    service stays RUNNING."""
    health_service(service, "--alloc-mib 300 --sleep -1", "memory_max = 100MB")
    m = wait_log(service, r"memory .*memory_max 100\.0 MiB; restarting the child",
                 15, "the memory_max verdict")
    wait_log(service, r"started .*\(restart 1\)", 15, "the restart")
    log = service.wrapper_log()
    held = "memory_max 100.0 MiB: held by the OS" in log
    print(f"\nWine: job memory limit set: {held}; verdict: {m[0]}")
    # Which path gave the verdict: the job's notification ("reached") where
    # Wine enforces the job limit, else the sampled backstop ("above").
    assert ("reached memory_max" in m[0]) or ("above memory_max" in m[0])
    assert service.scm.state(service.name) == "RUNNING"
    rc, doc = service.status()
    assert rc == 0 and doc["last_exit"]["class"] == "unhealthy", doc
    assert doc["last_restart_reason"].startswith("unhealthy: memory "), doc
    stop(service)


def test_http_probe_restart(service):
    srv = Server()
    try:
        health_service(service, "--sleep -1", f"""probe = http://127.0.0.1:{srv.port}/healthz
probe_interval = 300ms
probe_timeout = 2s
probe_failures = 2
""")
        wait_until(lambda: (service.status()[1].get("probe") or {}).get("detail") == "HTTP 200",
                   15, "a healthy probe in status")
        srv.code = 503
        wait_log(service, r"failed 2 times in a row \(last: HTTP 503\)", 60,
                 "the probe's verdict")
        wait_log(service, r"started .*\(restart 1\)", 15, "the restart")
        assert service.scm.state(service.name) == "RUNNING"
        stop(service)
    finally:
        srv.close()


def test_tcp_probe_restart(service):
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(64)
    port = ls.getsockname()[1]
    health_service(service, "--sleep -1", f"""probe = tcp://127.0.0.1:{port}
probe_interval = 300ms
probe_failures = 2
""")
    wait_until(lambda: (service.status()[1].get("probe") or {}).get("detail") == "connected",
               15, "a healthy TCP probe in status")
    ls.close()
    wait_log(service, r"probe tcp://\S+ failed 2 times in a row \(last: connect: ",
             15, "the probe's verdict")
    wait_log(service, r"started .*\(restart 1\)", 15, "the restart")
    stop(service)


def test_exec_probe_restart(service):
    """exec: testchild.exe --exit 3, in the child's job: exit code 3 twice
    restarts the child."""
    health_service(service, "--sleep -1", f"""probe = exec:"{winpath(CHILD)}" --exit 3
probe_interval = 300ms
probe_timeout = 10s
probe_failures = 2
""")
    wait_log(service, r"failed 2 times in a row \(last: exit code 3\)", 60,
             "the exec probe's verdict")
    wait_log(service, r"started .*\(restart 1\)", 15, "the restart")
    stop(service)


def test_cpu_max_restart(service):
    """A busy testchild.exe against cpu_max = 50% over 1 s. Wine 8 keeps no
    CPU time for a job (JobObjectBasicAccountingInformation stays 0, and
    GetProcessTimes of another process too): then the rule has nothing to
    measure, and the test says so and skips after checking that is why."""
    import pytest
    health_service(service, "--busy --sleep 3000", "cpu_max = 50%\ncpu_window = 1s")
    rc, doc = wait_until(lambda: (lambda r: r if (r[1].get("uptime_ms") or 0) > 2000 else None)(service.status()),
                         15, "2 s of a busy child")
    if doc.get("cpu_percent") == 0 and "above cpu_max" not in service.wrapper_log():
        stop(service)
        pytest.skip("Wine 8 reports no CPU time for the child's job "
                    "(status cpu_percent 0 for a busy child): the CPU rule "
                    "cannot be shown under Wine; it is tested natively")
    service.scm.stop(service.name)
    service.scm.wait_state(service.name, "STOPPED", 60)
    service.write_child_ini("--busy --sleep -1", """[restart]
delay = 100ms

[health]
cpu_max = 50%
cpu_window = 1s
""")
    service.svcwrap("start")
    service.scm.wait_state(service.name, "RUNNING")
    m = wait_log(service, r"cpu ([\d.]+)% of one CPU above cpu_max 50% for "
                 r"cpu_window 1000ms", 15, "the cpu verdict")
    assert float(m[1]) > 50
    wait_log(service, r"started .*\(restart 1\)", 15, "the restart")
    assert service.scm.state(service.name) == "RUNNING"
    stop(service)
