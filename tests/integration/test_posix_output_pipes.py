# SPDX-License-Identifier: MIT
"""The child's stdout and stderr pipes outlive it (src/os/posix/outchan.c):
a restart makes no new pipes, what a child wrote before it exited is
logged before its exit, and a writer outside the tree neither holds the
exit back nor loses its output.
"""
import os
import re
import signal
import time

from conftest import scaled, wait_until, write_ini


def script_ini(ctx, name, body, restart):
    script = ctx.scratch / "child.sh"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(0o755)
    logs = ctx.scratch / "logs"
    ini = write_ini(ctx.scratch,
                    f"[service]\nname = {name}\n\n[process]\n"
                    f"executable = {script}\n\n[restart]\n{restart}\n"
                    f"[log]\ndirectory = {logs}\ntimestamps = false\n")
    return ini, logs / f"{name}.out.log", logs / f"{name}.err.log"


def test_restarts_reuse_the_output_pipes(ctx):
    """Four starts at zero delay: every child's fd 1 is the same pipe, and
    its fd 2 the same other pipe (readlink /proc/PID/fd/N names the pipe's
    inode). Before, each start made two new pipes and closed two."""
    ini, out, err = script_ini(
        ctx, "pipes", "echo \"out=$(readlink /proc/$$/fd/1) "
        "err=$(readlink /proc/$$/fd/2)\"\nexit 1\n",
        "policy = on-failure\ndelay = 0\nburst = 4\ninterval = 1min\n")
    w = ctx.wrapper(ini)
    assert w.wait(20) == 1, w.log()
    runs = re.findall(r"^out=(pipe:\[\d+\]) err=(pipe:\[\d+\])$",
                      out.read_text(), re.M)
    assert len(runs) == 4, out.read_text()
    assert len(set(runs)) == 1, runs
    assert runs[0][0] != runs[0][1], "stdout and stderr share a pipe"


def test_what_a_child_changes_on_its_stdout_does_not_reach_the_next(ctx):
    """The kept pipes are the same open files for every child: a child that
    makes its stdout non-blocking (as Node.js does) and shrinks the pipe
    must not hand that to the next child, which may expect a blocking
    stdout of the usual size. Each of three starts sees them as made."""
    script = ctx.scratch / "flags.py"
    script.write_text(
        "#!/usr/bin/python3\n"
        "import fcntl, os, sys\n"
        "F_SETPIPE_SZ, F_GETPIPE_SZ = 1031, 1032\n"
        "for fd in (1, 2):\n"
        "    fl = fcntl.fcntl(fd, fcntl.F_GETFL)\n"
        "    print(fd, 'nonblock' if fl & os.O_NONBLOCK else 'blocking',\n"
        "          'append' if fl & os.O_APPEND else 'plain',\n"
        "          fcntl.fcntl(fd, F_GETPIPE_SZ), flush=True)\n"
        "    fcntl.fcntl(fd, fcntl.F_SETFL, fl | os.O_NONBLOCK | os.O_APPEND)\n"
        "    fcntl.fcntl(fd, F_SETPIPE_SZ, 4096)\n"
        "sys.exit(1)\n")
    script.chmod(0o755)
    logs = ctx.scratch / "logs"
    ini = write_ini(ctx.scratch,
                    f"[service]\nname = flags\n\n[process]\n"
                    f"executable = {script}\n\n[restart]\npolicy = on-failure\n"
                    "delay = 0\nburst = 3\ninterval = 1min\n"
                    f"[log]\ndirectory = {logs}\ntimestamps = false\n")
    w = ctx.wrapper(ini)
    assert w.wait(20) == 1, w.log()
    lines = (logs / "flags.out.log").read_text().splitlines()
    assert len(lines) == 6, lines
    sizes = {line.split()[3] for line in lines}
    assert len(sizes) == 1 and sizes != {"4096"}, lines
    for line in lines:
        assert line.split()[1:3] == ["blocking", "plain"], lines


def test_output_just_before_the_exit_is_all_logged(ctx):
    """A child writes 3 MB to stdout and 1 MB to stderr (more than a pipe
    holds, more than one read; in lines, so none is split) and exits at once, policy = no: every byte
    is in the logs. No EOF marks the end of its output any more; the exit's
    drain reads what the pipes hold before the exit is reported and the
    service ends."""
    ini, out, err = script_ini(
        ctx, "burst",
        f"yes {'o' * 49} | head -n 60000\n"
        f"yes {'e' * 49} | head -n 20000 >&2\nexit 0\n",
        "policy = no\n")
    w = ctx.wrapper(ini)
    assert w.wait(20) == 0, w.log()
    assert out.stat().st_size == 3_000_000, w.log()
    assert err.stat().st_size == 1_000_000, w.log()
    assert out.read_bytes() == (b"o" * 49 + b"\n") * 60000
    assert re.search(r"child pid \d+ exited with code 0", w.log()), w.log()


def test_an_outside_writer_neither_holds_the_exit_nor_is_lost(ctx):
    """A process outside the child's tree (the test itself, through
    /proc/PID/fd/1) holds the child's stdout when it exits. The exit is
    reported at once, not after the 2 s output drain the end of the pipe
    used to be waited for ("still open"), and what that process writes
    later, during the backoff, still reaches the stdout log."""
    go = ctx.scratch / "go"
    ini, out, err = script_ini(
        ctx, "outside",
        f"echo started $$\nwhile [ ! -e {go} ]; do sleep 0.01; done\nexit 1\n",
        "policy = on-failure\ndelay = 30s\n")
    w = ctx.wrapper(ini)
    pid = int(w.wait_log(r"started .*, pid (\d+) ")[1])
    fd = os.open(f"/proc/{pid}/fd/1", os.O_WRONLY)
    try:
        t0 = time.monotonic()
        go.touch()
        w.wait_log(rf"child pid {pid} exited with code 1", timeout=5)
        took = time.monotonic() - t0
        print(f"exit reported {took * 1000:.0f} ms after the child was told to exit")
        assert took < scaled(1.5), (took, w.log())
        os.write(fd, b"late line from outside\n")
    finally:
        os.close(fd)
    wait_until(lambda: "late line from outside" in out.read_text(), 5,
               "the outside writer's line in the stdout log")
    log = w.log()
    assert "still open" not in log and "still arrives" not in log, log
    w.signal(signal.SIGTERM)
    assert w.wait(10) == 0, w.log()
