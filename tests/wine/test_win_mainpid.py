# SPDX-License-Identifier: MIT
"""MAINPID= under Wine's real SCM: the Go child in -spawn-main mode starts
a copy of itself as its worker, sends READY=1 and MAINPID=<worker> through
SVCWRAP_NOTIFY and exits. The service stays RUNNING with the worker as its
main process (status `pid`, `main_pid`); the worker's exit code is the
child's exit the restart policy judges; a stop ends the worker and the
wrapper reports the worker's exit. (ctrl-break aimed at the main process
is not tested here: Wine 8 has no CTRL_BREAK; the stop uses `event`.)"""
import re
import time

from conftest import WIN, wait_until, winpath

GOCHILD = WIN / "gochild.exe"


def child_lines(path):
    return path.read_text("utf-8", "replace").splitlines() if path.exists() else []


def ini_extra(restart, stop="ctrl-break, terminate"):
    return ("[health]\nready = notify\nready_timeout = 60s\n\n"
            f"[stop]\nmethod = {stop}\ntimeout = 10s\n\n"
            f"[restart]\ndelay = 500ms\nsteps = 0\n{restart}\n")


def following(service, timeout=20):
    m = wait_until(lambda: re.search(
        r"the launcher pid (\d+) exited \(exit code 0\); following MAINPID "
        r"(\d+)", service.wrapper_log()), timeout, "the launcher's exit")
    return int(m.group(1)), int(m.group(2))


def test_worker_keeps_the_service_running_and_its_code_ends_it(service):
    log, wlog = service.dir / "launcher.log", service.dir / "worker.log"
    service.write_child_ini(
        f'-log "{winpath(log)}" -exit 0 -spawn-main '
        f'"-sleep 6000 -exit 3 -log {winpath(wlog)}"',
        ini_extra("policy = no"), GOCHILD)
    service.install()
    service.scm.start(service.name)
    launcher, main = following(service)
    assert launcher != main
    assert f"main pid={main}" in child_lines(log), child_lines(log)
    assert "launcher-exit code=0" in child_lines(log)
    # The launcher is gone; the service is still RUNNING, its main process
    # the worker.
    service.scm.wait_state(service.name, "RUNNING", 30)
    rc, doc = service.status()
    assert doc["state"] == "running" and doc["restarts"] == 0, doc
    assert doc["pid"] == main and doc["main_pid"] == main, doc
    time.sleep(1)
    assert service.scm.state(service.name) == "RUNNING"
    assert "exited with code" not in service.wrapper_log()
    # The worker exits 3 after 6 s: that is the service's exit; policy no.
    service.scm.wait_state(service.name, "STOPPED", 60)
    text = service.wrapper_log()
    assert f"child pid {main} exited with code 3" in text, text
    assert "policy no does not restart it" in text, text
    assert "exit code=3" in child_lines(wlog)


def test_stop_ends_the_main_process(service):
    log, wlog = service.dir / "launcher.log", service.dir / "worker.log"
    service.write_child_ini(
        f'-log "{winpath(log)}" -exit 0 -spawn-main '
        f'"-sleep -1 -stop-event -exit 0 -log {winpath(wlog)}"',
        ini_extra("", stop="event, terminate"), GOCHILD)
    service.install()
    service.scm.start(service.name)
    launcher, main = following(service)
    service.scm.wait_state(service.name, "RUNNING", 30)
    rc, _, _ = service.scm.stop(service.name)
    service.scm.wait_state(service.name, "STOPPED", 60)
    text = service.wrapper_log()
    assert "event" in child_lines(wlog), child_lines(wlog)
    assert f"stop: sent event to pid {main}" in text, text
    assert f"child pid {main} exited with code 0" in text, text
    assert "terminate" not in text.split("stop: sent event")[1], text
