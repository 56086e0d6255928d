# SPDX-License-Identifier: MIT
"""Nothing hangs: a child that even SIGKILL cannot end does not keep
`svcwrap run` from ending, and a second `run` of the same service never
starts beside a first one that is slow to answer.

The unkillable child is made with the cgroup v1 freezer: a frozen task
does not act on SIGKILL until it is thawed.
"""
import os
import re
import signal
import time
import uuid
from pathlib import Path

import pytest

from conftest import (TESTCHILD, pid_alive, scaled, wait_pid_file,
                      wait_pid_gone, wait_until, write_ini)

FREEZER = Path("/sys/fs/cgroup/freezer")
# run.c's TERMINATE_WAIT_MS (= config.c's TERMINATE_ALLOWANCE_MS).
TERMINATE_WAIT_S = 5.0
# What the wrapper may take beyond the ladder's budget: loop shutdown,
# logs, sanitizer exit checks.
GRACE_S = 2.0


def ini_for(ctx, name, arguments, extra=""):
    lines = "".join(l.strip() + "\n" for l in extra.strip().splitlines())
    return write_ini(ctx.scratch,
                     f"[service]\nname = {name}\n\n[process]\n"
                     f"executable = {TESTCHILD}\narguments = {arguments}\n\n"
                     + lines)


class Freezer:
    """A private cgroup v1 freezer group; skips the test if it cannot be
    made."""

    def __init__(self):
        self.path = FREEZER / f"svcwrap-test-{uuid.uuid4().hex[:8]}"
        try:
            self.path.mkdir()
        except OSError as e:
            pytest.skip(f"cgroup v1 freezer not writable at {FREEZER}: {e}")
        self.state_file = self.path / "freezer.state"

    def add(self, pid):
        (self.path / "cgroup.procs").write_text(f"{pid}\n")

    def pids(self):
        text = (self.path / "cgroup.procs").read_text()
        return [int(p) for p in text.split()]

    def set(self, state):
        self.state_file.write_text(state + "\n")
        wait_until(lambda: self.state_file.read_text().strip() == state, 5,
                   f"freezer state {state}")

    def remove(self):
        try:
            self.set("THAWED")
        except (OSError, AssertionError):
            pass
        for pid in self.pids() if self.path.exists() else []:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        for pid in self.pids() if self.path.exists() else []:
            wait_pid_gone(pid, 5, f"frozen pid {pid} to die once thawed")
        # The group can only be removed once empty (zombies included).
        deadline = time.monotonic() + scaled(5)
        while True:
            try:
                self.path.rmdir()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)


def test_unkillable_child_does_not_hang_the_stop(ctx):
    """The child and its grandchild are frozen, then svcwrap gets SIGTERM:
    SIGTERM and SIGKILL both go nowhere. svcwrap must still exit within the
    ladder's budget (300 ms + the terminate wait) plus a bounded grace, with
    status 1 and a log line naming the pid it could not kill."""
    pid_file = ctx.scratch / "child.pid"
    gc_file = ctx.scratch / "grandchild.pid"
    ini = ini_for(ctx, "unkillable",
                  f"--pid-file {pid_file} --spawn-grandchild {gc_file} "
                  "--sleep -1", """
        [stop]
        method = ctrl-break, terminate
        timeout = 300ms
        """)
    fr = Freezer()
    try:
        w = ctx.wrapper(ini)
        child = wait_pid_file(pid_file)
        grandchild = wait_pid_file(gc_file)
        w.wait_log(r"starting -> running")
        fr.add(child)
        fr.add(grandchild)
        fr.set("FROZEN")

        budget = 0.3 + TERMINATE_WAIT_S
        t0 = time.monotonic()
        w.signal(signal.SIGTERM)
        rc = w.wait(budget + GRACE_S + 5)  # fails with the log if it hangs
        took = time.monotonic() - t0
        log = w.log()
        print(f"unkillable stop: svcwrap exited after {took:.2f}s "
              f"(budget {budget:.1f}s)")
        assert rc == 1, log
        assert took <= scaled(budget + GRACE_S), (took, log)
        # It did wait out the whole ladder first.
        assert took >= budget - 0.2, (took, log)
        assert re.search(rf"error: stop: pid {child} could not be killed", log), log
        assert f"stopping -> failed: pid {child} did not exit 5000ms after terminate" in log, log
        assert "service unkillable failed (exit code 536870913)" in log, log
        # Still frozen, still there: svcwrap did give up on a live process.
        assert pid_alive(child)
    finally:
        fr.remove()
    # Once thawed, the SIGKILL it was sent ends it (and its tree).
    wait_pid_gone(child, 5, "the thawed child to die")
    wait_pid_gone(grandchild, 5, "the thawed grandchild to die")


def test_second_run_refuses_while_the_first_is_stopped(ctx):
    """The first wrapper is SIGSTOPped, so it answers nothing on its socket.
    A second `run` with the same INI must still refuse (exit 1, 'already
    running'), start no child, and leave the first's socket alone: after
    SIGCONT the first still answers `svcwrap status`."""
    pid_file = ctx.scratch / "child.pid"
    ini = ini_for(ctx, "slowfirst", f"--pid-file {pid_file} --sleep -1")
    first = ctx.wrapper(ini)
    child = wait_pid_file(pid_file)
    first.wait_log(r"starting -> running")
    sock = ctx.scratch / "logs" / ".svcwrap" / "slowfirst.sock"
    assert sock.exists(), list((ctx.scratch / "logs").iterdir())

    os.kill(first.pid, signal.SIGSTOP)
    try:
        second = ctx.wrapper(ini, name="second")
        rc = second.wait(10)
        log = second.log()
        assert rc == 1, log
        assert re.search(r"error: service slowfirst is already running \(another process "
                         r"holds .*slowfirst\.sock\.lock, but it does not answer on "
                         r".*slowfirst\.sock\); not starting a second copy", log), log
        assert "started " not in log, "the second wrapper must start no child"
        assert sock.exists(), "the second wrapper removed the first's socket"
    finally:
        os.kill(first.pid, signal.SIGCONT)
    rc, doc = ctx.status_json(ini)
    assert rc == 0, doc
    assert doc["wrapper_pid"] == first.pid and doc["pid"] == child, doc
    first.signal(signal.SIGTERM)
    assert first.wait(5) == 0, first.log()
    assert not sock.exists()


def test_stale_socket_is_replaced_by_the_lock_holder(ctx):
    """A socket file left by a wrapper that died (SIGKILL: no cleanup) does
    not keep the next `run` from starting: it holds the lock, so it may
    remove the file."""
    pid_file = ctx.scratch / "child.pid"
    ini = ini_for(ctx, "stale", f"--pid-file {pid_file} --sleep -1")
    first = ctx.wrapper(ini)
    child = wait_pid_file(pid_file)
    first.wait_log(r"starting -> running")
    os.kill(first.pid, signal.SIGKILL)
    first.wait(5)
    wait_pid_gone(child, 5, "the child of the killed wrapper")
    sock = ctx.scratch / "logs" / ".svcwrap" / "stale.sock"
    assert sock.exists(), "SIGKILL leaves the socket file behind"
    pid_file.unlink()

    second = ctx.wrapper(ini, name="second")
    wait_pid_file(pid_file)
    second.wait_log(r"starting -> running")
    rc, doc = ctx.status_json(ini)
    assert rc == 0 and doc["wrapper_pid"] == second.pid, doc
    second.signal(signal.SIGTERM)
    assert second.wait(5) == 0, second.log()
