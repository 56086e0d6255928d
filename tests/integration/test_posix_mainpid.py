# SPDX-License-Identifier: MIT
"""MAINPID= on Linux, as systemd follows it: a `ready = notify` launcher
(sh) forks a worker, names it with `svcwrap notify READY=1 MAINPID=<pid>`
and exits; the service keeps running with the worker as its main process
(status `pid` and `main_pid`), the worker's exit (its code) is the
child's exit that the restart policy sees, the stop ladder's signal and
[control] signals go to the worker, and a MAINPID= outside the child's
tree is refused with a log line. Figures: none (behaviour only)."""
import os
import signal
import stat
import time

from conftest import SVCWRAP, scaled, wait_until, write_ini


def ini(ctx, executable, restart="", extra=""):
    return write_ini(ctx.scratch,
                     f"[service]\nname = mpid\n\n[process]\n"
                     f"executable = {executable}\n\n"
                     f"[health]\nready = notify\nready_timeout = 20s\n\n"
                     f"[restart]\ndelay = 200ms\nsteps = 0\n{restart}\n"
                     f"{extra}")


def script(path, text):
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def worker(ctx, leave_group=False):
    """A worker that records its pid and the signals it gets, and exits 3
    when the file `die` appears."""
    d = ctx.scratch
    w = script(d / "worker.sh",
               "#!/bin/sh\n"
               f'echo $$ >> "{d}/worker.pids"\n'
               f"trap 'echo \"TERM $$\" >> \"{d}/worker.rec\"; exit 0' TERM\n"
               f"trap 'echo \"HUP $$\" >> \"{d}/worker.rec\"' HUP\n"
               f'while [ ! -e "{d}/die" ]; do sleep 0.05; done\n'
               "echo \"worker $$ exits 3\"\n"
               "exit 3\n")
    launch = "setsid " if leave_group else ""
    return script(d / "launcher.sh",
                  "#!/bin/sh\n"
                  f'{launch}"{w}" &\n'
                  "wp=$!\n"
                  f'"{SVCWRAP}" notify READY=1 MAINPID=$wp || exit 9\n'
                  # Let the wrapper read the datagram before the exit
                  # (systemd has the same ordering caveat).
                  "sleep 0.3\n"
                  "echo launcher done\n"
                  "exit 0\n")


def pids(ctx):
    try:
        return [int(x) for x in (ctx.scratch / "worker.pids").read_text().split()]
    except FileNotFoundError:
        return []


def records(ctx):
    try:
        return (ctx.scratch / "worker.rec").read_text().splitlines()
    except FileNotFoundError:
        return []


def test_worker_is_followed_and_its_exit_restarts(ctx):
    path = ini(ctx, worker(ctx), restart="policy = on-failure\nburst = 0")
    w = ctx.wrapper(path)
    m = w.wait_log(r"the launcher pid (\d+) exited \(exit code 0\); "
                   r"following MAINPID (\d+)", timeout=10)
    launcher, main = int(m.group(1)), int(m.group(2))
    assert pids(ctx) == [main], pids(ctx)
    w.wait_log(rf"notify: MAINPID={main}: the child's main process is pid "
               rf"{main}")
    # A couple of seconds with the launcher gone: still running, no restart.
    time.sleep(scaled(1.5))
    rc, doc = ctx.status_json(path)
    assert doc["state"] == "running" and doc["restarts"] == 0, doc
    assert doc["pid"] == main and doc["main_pid"] == main, doc
    assert launcher != main
    assert "exited with code" not in w.log(), w.log()
    out = (ctx.scratch / "logs" / "mpid.out.log").read_text()
    assert "launcher done" in out
    # The worker exits 3: that is the child's exit, on-failure restarts.
    (ctx.scratch / "die").touch()
    w.wait_log(rf"child pid {main} exited with code 3 after", timeout=10)
    w.wait_log(r"policy on-failure restarts in 200ms", timeout=5)
    wait_until(lambda: len(pids(ctx)) >= 2, 10, "the restarted worker")
    # Its output (written after the launcher exited) was still captured.
    assert f"worker {main} exits 3" in \
        (ctx.scratch / "logs" / "mpid.out.log").read_text()
    os.unlink(ctx.scratch / "die")
    rc, doc = ctx.status_json(path)
    assert doc["last_exit"]["code"] == 3, doc
    w.signal(signal.SIGTERM)
    assert w.wait() == 0, w.log()


def test_worker_exit_code_with_policy_no(ctx):
    path = ini(ctx, worker(ctx), restart="policy = no")
    w = ctx.wrapper(path)
    m = w.wait_log(r"following MAINPID (\d+)", timeout=10)
    main = int(m.group(1))
    (ctx.scratch / "die").touch()
    rc = w.wait(10)
    log = w.log()
    assert f"child pid {main} exited with code 3" in log, log
    assert "policy no does not restart it" in log, log
    assert rc != 0, log
    assert len(pids(ctx)) == 1


def test_stop_signal_goes_to_the_main_process(ctx):
    """The worker left the launcher's group and session (setsid): the
    ladder's ctrl-break (SIGTERM) reaches it only as the main process."""
    path = ini(ctx, worker(ctx, leave_group=True),
               extra="[control]\nreload = signal:SIGHUP\n")
    w = ctx.wrapper(path)
    m = w.wait_log(r"following MAINPID (\d+)", timeout=10)
    main = int(m.group(1))
    w.signal(signal.SIGHUP)  # [control] reload: the main process
    wait_until(lambda: f"HUP {main}" in records(ctx), 5, "HUP at the worker")
    w.signal(signal.SIGTERM)
    assert w.wait() == 0, w.log()
    assert f"TERM {main}" in records(ctx), (records(ctx), w.log())
    log = w.log()
    assert f"stop: sent ctrl-break to pid {main}" in log, log
    assert f"child pid {main} exited with code 0" in log, log


def test_mainpid_outside_the_tree_is_refused(ctx):
    other = os.getpid()  # the test runner: not of the child's tree
    s = script(ctx.scratch / "child.sh",
               "#!/bin/sh\n"
               f'"{SVCWRAP}" notify MAINPID=1 || exit 9\n'
               f'"{SVCWRAP}" notify MAINPID={other} || exit 9\n'
               f'"{SVCWRAP}" notify MAINPID=$$ READY=1 || exit 9\n'
               "exec sleep 60\n")
    path = ini(ctx, s)
    w = ctx.wrapper(path)
    w.wait_log(r"wait-ready -> running: READY=1", timeout=10)
    m = w.wait_log(r"notify: MAINPID=1 refused: not in the child's tree "
                   r"\(its parents lead to pid 0, not to the child pid "
                   r"(\d+) or the wrapper\); pid (\d+) stays the main process")
    launcher = int(m.group(1))
    assert int(m.group(2)) == launcher
    w.wait_log(rf"notify: MAINPID={other} refused: not in the child's tree")
    rc, doc = ctx.status_json(path)
    # MAINPID=$$ names the launched process: accepted, nothing changes.
    assert doc["pid"] == launcher and doc["main_pid"] == launcher, doc
    assert "following MAINPID" not in w.log()
    w.signal(signal.SIGTERM)
    assert w.wait() == 0, w.log()


def test_status_unknown_when_not_the_wrappers_child(ctx):
    """The main process's parent (in the tree) outlives it and reaps it:
    the wrapper learns of the end (pidfd, or /proc) but not the status."""
    d = ctx.scratch
    worker(ctx)  # worker.sh
    middle = script(d / "middle.sh",
                    "#!/bin/sh\n"
                    f'"{d}/worker.sh" &\n'
                    f'echo $! > "{d}/middle.child"\n'
                    "wait\n"
                    "sleep 30\n")
    launcher = script(d / "launcher2.sh",
                      "#!/bin/sh\n"
                      f'"{middle}" &\n'
                      f'while [ ! -s "{d}/middle.child" ]; do sleep 0.02; done\n'
                      f'"{SVCWRAP}" notify READY=1 MAINPID=$(cat "{d}/middle.child")'
                      " || exit 9\n"
                      "sleep 0.3\n"
                      "exit 0\n")
    path = ini(ctx, launcher, restart="policy = no")
    w = ctx.wrapper(path)
    m = w.wait_log(r"following MAINPID (\d+)", timeout=10)
    main = int(m.group(1))
    assert pids(ctx) == [main]
    (d / "die").touch()
    rc = w.wait(10)
    log = w.log()
    assert (f"MAINPID {main} ended; its exit status is unknown (it is not "
            "the wrapper's child), reported as exit code 0") in log, log
    assert f"child pid {main} exited with code 0" in log, log
    assert rc == 0, log
