# SPDX-License-Identifier: MIT
"""An idle supervisor makes no system calls: one event loop blocked in
epoll_wait, nothing polling, no timers while the child simply runs. The
orphan guard, blocked in read(), makes none either."""
import re
import shutil
import subprocess

import pytest

from conftest import scaled, wait_pid_file, write_ini
from test_posix_supervisor import TESTCHILD, Files


def count_syscalls(pid, seconds):
    """strace -c on one process for `seconds`; returns {syscall: calls}."""
    out = subprocess.run(
        ["timeout", "-s", "INT", str(seconds), "strace", "-c", "-p", str(pid)],
        capture_output=True, text=True)
    if "Operation not permitted" in out.stderr:
        pytest.skip("ptrace is not permitted here: " + out.stderr.strip())
    calls = {}
    for line in out.stderr.splitlines():
        m = re.match(r"\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)$",
                     line)
        if m and m.group(2) != "total":
            calls[m.group(2)] = int(m.group(1))
    return calls


def guard_pid(wrapper_pid):
    """The wrapper's orphan guard: not its child (it is forked through a
    middle process), but a fork of it: the svcwrap-guard process with the
    wrapper's command line."""
    with open(f"/proc/{wrapper_pid}/cmdline", "rb") as f:
        mine = f.read()
    out = subprocess.run(["pgrep", "-x", "svcwrap-guard"],
                         capture_output=True, text=True).stdout.split()
    for pid in out:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if f.read() == mine:
                    return int(pid)
        except OSError:
            continue
    return None


def test_idle_supervisor_makes_no_syscalls(ctx):
    if shutil.which("strace") is None:
        pytest.fail("strace is missing; scripts/setup installs it")
    f = Files(ctx.scratch)
    ini = write_ini(ctx.scratch, f"""
[service]
name = idle
[process]
executable = {TESTCHILD}
arguments = --ready-file {f.ready} --sleep -1
""")
    w = ctx.wrapper(ini)
    wait_pid_file(f.ready)
    seconds = max(3, int(scaled(3)))
    calls = count_syscalls(w.pid, seconds)
    # Attaching interrupts the blocked epoll_wait, which then restarts:
    # that one call is strace's, not the supervisor's.
    calls.pop("restart_syscall", None)
    assert calls == {}, f"the idle wrapper made system calls in {seconds}s: {calls}"
    guard = guard_pid(w.pid)
    assert guard is not None, "no orphan guard process"
    calls = count_syscalls(guard, 2)
    calls.pop("restart_syscall", None)
    assert calls == {}, f"the idle guard made system calls: {calls}"
    w.signal(15)
    assert w.wait(5) == 0
