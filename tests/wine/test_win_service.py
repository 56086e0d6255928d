# SPDX-License-Identifier: MIT
"""svcwrap.exe as a Windows service under Wine's real SCM: the stop
ladder, restart policy, orphans, and the management verbs."""
import os
import re
import signal
import time

import pytest

from conftest import (MULT, WIN, describe_pids, linux_pids, wait_until, wine,
                      wine_version, winpath)

CHILD = WIN / "testchild.exe"
GOCHILD = WIN / "gochild.exe"


def write_ini(service, executable, arguments, extra=""):
    service.write_child_ini(arguments, extra, executable)


def start_and_wait_ready(service, ready):
    service.install()
    service.scm.start(service.name)
    service.scm.wait_state(service.name, "RUNNING")
    wait_until(ready.exists, 30, "the child's ready file")


def timed_stop(service, timeout=60):
    """sc stop, then wait for STOPPED; returns (seconds, sc stop output,
    the checkpoints seen while STOP_PENDING)."""
    checkpoints = []
    t0 = time.monotonic()
    rc, out, err = service.scm.stop(service.name)

    def stopped():
        rc2, o, _ = wine(["sc", "query", service.name])
        m = re.search(r"CHECKPOINT\s*:\s*0x([0-9a-fA-F]+)", o)
        if "STOP_PENDING" in o and m:
            checkpoints.append(int(m.group(1), 16))
        return "STOPPED" in o
    wait_until(stopped, timeout, f"{service.name} to stop", interval=0.1)
    return time.monotonic() - t0, out + err, checkpoints


def test_ctrl_break_fails_fast_under_wine8(service):
    """Wine 8 refuses CTRL_BREAK: the ladder must move on at once, not
    after the 10 s grace, and the wrapper log must name the failure."""
    if wine_version() >= (9, 0):
        pytest.skip("this Wine maps CTRL_BREAK; the failure path needs Wine 8")
    ready = service.dir / "ready"
    log = service.dir / "child.log"
    write_ini(service, CHILD,
                          f'--log "{winpath(log)}" --ready-file '
                          f'"{winpath(ready)}" --sleep -1',
                          "[stop]\nmethod = ctrl-break, terminate\n"
                          "timeout = 10s\n")
    start_and_wait_ready(service, ready)
    seconds, out, _ = timed_stop(service)
    assert seconds < 2.0 * max(1, MULT / 5), f"stop took {seconds:.2f}s"
    wlog = service.wrapper_log()
    assert re.search(r"stop: ctrl-break could not be delivered: "
                     r"GenerateConsoleCtrlEvent\(CTRL_BREAK_EVENT\): .+\(\d+\)",
                     wlog), wlog
    assert "step 2 of 2: terminate" in wlog, wlog
    assert service.scm.query(service.name) == ("STOPPED", 0, 0)


def test_ctrl_break_delivered(service):
    """Real CTRL_BREAK delivery: the Go child sees os.Interrupt and exits."""
    if wine_version() < (9, 0):
        pytest.skip("Wine 8 cannot deliver CTRL_BREAK_EVENT (only CTRL_C); "
                    "this runs on real Windows or a newer Wine")
    ready = service.dir / "ready"
    log = service.dir / "child.log"
    write_ini(service, GOCHILD,
                          f'-log "{winpath(log)}" -ready-file "{winpath(ready)}"',
                          "[stop]\nmethod = ctrl-break, terminate\n")
    start_and_wait_ready(service, ready)
    timed_stop(service)
    assert "interrupt" in log.read_text().split()


def test_event_stop(service):
    """A child that waits on SVCWRAP_STOP_EVENT exits cleanly."""
    ready = service.dir / "ready"
    log = service.dir / "child.log"
    write_ini(service, CHILD,
                          f'--log "{winpath(log)}" --ready-file '
                          f'"{winpath(ready)}" --stop-event --on-stop-exit 0 '
                          "--sleep -1",
                          "[stop]\nmethod = event, terminate\ntimeout = 20s\n")
    start_and_wait_ready(service, ready)
    seconds, _, _ = timed_stop(service)
    text = log.read_text()
    assert "event" in text.split() and "exit code=0" in text, text
    assert "event-open-failed" not in text
    assert seconds < 10 * MULT / 5
    assert service.scm.query(service.name) == ("STOPPED", 0, 0)
    assert "stop: sent event" in service.wrapper_log()


def test_ignoring_child_terminated_after_grace(service):
    """A child that ignores every graceful method is terminated after the
    grace time; the SCM sees rising checkpoints, never 1053, then STOPPED."""
    ready = service.dir / "ready"
    log = service.dir / "child.log"
    write_ini(service, CHILD,
                          f'--log "{winpath(log)}" --ready-file '
                          f'"{winpath(ready)}" --ignore-stop --stop-event '
                          "--sleep -1",
                          "[stop]\nmethod = ctrl-c, event, terminate\n"
                          "timeout = 3s\n")
    start_and_wait_ready(service, ready)
    seconds, out, checkpoints = timed_stop(service)
    assert "1053" not in out, out
    assert 6.0 <= seconds, f"stopped after {seconds:.2f}s, before the grace"
    assert seconds < 6.0 + 5 * MULT / 5
    assert len(set(checkpoints)) >= 2 and checkpoints == sorted(checkpoints), \
        f"checkpoints seen while stopping: {checkpoints}"
    text = log.read_text()
    assert "ctrl-c" in text and "event" in text and "exit code" not in text
    wlog = service.wrapper_log()
    assert "step 3 of 3: terminate" in wlog, wlog
    assert service.scm.query(service.name) == ("STOPPED", 0, 0)


def test_crash_restarts_then_gives_up(service):
    """0xC0000005 restarts after the delay while the service stays
    RUNNING; past the burst the service stops with the child's code."""
    log = service.dir / "child.log"
    write_ini(service, CHILD,
                          f'--log "{winpath(log)}" --sleep 300 --crash',
                          "[restart]\npolicy = on-failure\ndelay = 500ms\n"
                          "steps = 0\nburst = 3\ninterval = 1min\n")
    service.install()
    service.scm.start(service.name)
    service.scm.wait_state(service.name, "RUNNING")
    # Restarts happen while the SCM still shows RUNNING.
    wait_until(lambda: log.read_text().count("start pid=") >= 2
               if log.exists() else False, 30, "a restart after the crash")
    assert service.scm.state(service.name) == "RUNNING"
    service.scm.wait_state(service.name, "STOPPED", 60)
    state, w32, code = service.scm.query(service.name)
    assert w32 == 1066, "ERROR_SERVICE_SPECIFIC_ERROR"
    assert code == 0xC0000005
    assert log.read_text().count("start pid=") == 3
    wlog = service.wrapper_log()
    assert "giving up: 3 starts within 60000ms" in wlog, wlog
    assert "abnormal exit; policy on-failure restarts in 500ms" in wlog
    # Event Log entries were written (crash, failure) without a problem.
    assert "RegisterEventSourceW" not in wlog and "ReportEventW" not in wlog
    assert wlog.count(f"event log: The child of service {service.name}") == 3
    assert (f"event log: Service {service.name} failed: abnormal exit; giving "
            "up") in wlog, wlog


def test_grandchild_gone_after_stop(service):
    ready = service.dir / "ready"
    gc = service.dir / "gc.pid"
    write_ini(service, CHILD,
                          f'--ready-file "{winpath(ready)}" --spawn-grandchild '
                          f'"{winpath(gc)}" --sleep -1',
                          "[stop]\nmethod = ctrl-c, terminate\ntimeout = 5s\n")
    start_and_wait_ready(service, ready)
    assert len(linux_pids("testchild.exe")) == 2
    timed_stop(service)
    wait_until(lambda: not linux_pids("testchild.exe"), 10,
               "child and grandchild gone")


def test_grandchild_gone_after_wrapper_killed(service):
    """Killing svcwrap.exe itself (the Linux process under Wine, SIGKILL)
    closes its job handle: KILL_ON_JOB_CLOSE ends the whole tree."""
    ready = service.dir / "ready"
    gc = service.dir / "gc.pid"
    write_ini(service, CHILD,
                          f'--ready-file "{winpath(ready)}" --spawn-grandchild '
                          f'"{winpath(gc)}" --sleep -1')
    start_and_wait_ready(service, ready)
    wrappers = linux_pids("svcwrap.exe")
    assert len(wrappers) == 1, wrappers
    assert len(linux_pids("testchild.exe")) == 2
    os.kill(wrappers[0], signal.SIGKILL)
    # Wine 8's SCM never notices a service process killed from outside
    # (it keeps saying RUNNING; real Windows says STOPPED and runs the
    # recovery actions), so cleanup must not wait for STOPPED.
    service.killed = True
    try:
        wait_until(lambda: not linux_pids("testchild.exe"), 20,
                   "child and grandchild gone after svcwrap.exe was killed")
    except AssertionError as e:
        raise AssertionError(
            f"{e}; still there:\n{describe_pids(linux_pids('testchild.exe'))}"
            f"\nwrapper log:\n{service.wrapper_log()}") from None



def test_console_run_refuses_while_the_service_runs(service):
    """While the service runs under the SCM, `svcwrap run -c same.ini` from
    the console must refuse (exit 1, 'already running': the endpoint
    pipe's first instance is the service's), start no child, and leave the
    service running and answering."""
    ready = service.dir / "ready"
    log = service.dir / "child.log"
    write_ini(service, CHILD,
              f'--log "{winpath(log)}" --ready-file "{winpath(ready)}" '
              "--sleep -1")
    start_and_wait_ready(service, ready)
    rc, doc = service.status()
    assert rc == 0 and doc["state"] == "running", doc
    first = doc["wrapper_pid"]

    rc, out, err = service.svcwrap("run", timeout=60)
    assert rc == 1, out + err
    assert re.search(rf"service {service.name} is already running", out + err), out + err
    # It claimed the service before opening any log file: the running
    # service's wrapper log did not get its refusal.
    assert "already running" not in service.wrapper_log(), service.wrapper_log()
    assert service.scm.state(service.name) == "RUNNING"
    rc, doc = service.status()
    assert rc == 0 and doc["wrapper_pid"] == first, doc
    assert log.read_text().splitlines().count("ready") == 1, log.read_text()


@pytest.mark.parametrize("kind,code", [("missing", 127), ("not-a-program", 126)])
def test_spawn_failure_exit_code_says_why(service, kind, code):
    """A child that CreateProcessW cannot start ends the service with a
    shell's code, as on Linux: 127 when the executable does not exist
    (ERROR_FILE_NOT_FOUND is SW_ENOENT in the one error space), 126 when
    it exists but is not a program."""
    exe = service.dir / "app.exe"
    if kind == "not-a-program":
        exe.write_bytes(b"not a program\r\n")
    service.write_child_ini("", "[restart]\npolicy = no\n", executable=exe)
    service.install()
    service.scm.start(service.name)
    service.scm.wait_state(service.name, "STOPPED", 30)
    state, w32, svc_code = service.scm.query(service.name)
    wlog = service.wrapper_log()
    assert (w32, svc_code) == (1066, code), wlog
    assert f"service {service.name} failed (exit code {code})" in wlog, wlog
    assert re.search(r"error: start .*app\.exe: .*\(\d+\)", wlog), wlog
