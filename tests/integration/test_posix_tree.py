# SPDX-License-Identifier: MIT
"""Containment on Linux (docs/containers.md): descendants that left the
child's process group and session with setsid() end with every stop,
restart and kill -9 of svcwrap; as PID 1 of a pid namespace svcwrap reaps
every orphan and exits with the child's status; the child's stdout/stderr
are pipes it can reopen through /dev/stdout and /dev/stderr; descriptors
svcwrap inherited do not reach the child.
"""
import os
from pathlib import Path
import re
import shutil
import signal
import subprocess

import pytest

from conftest import (pid_alive, wait_pid_file, wait_pid_gone,
                      wait_until)
from test_posix_supervisor import service_ini


# ---- helpers -------------------------------------------------------------

def escaper_script(ctx, then, clear_env=False, trap=""):
    """A shell child that starts a setsid'd `sleep` (a new session and
    process group; with clear_env also an empty environment, so not even
    the SVCWRAP_TREE marker is left) holding the child's stdout, writes its
    pid to escaped.pid (and appends it to escaped.pid.all, one line per
    run), then runs `then` (shell). `trap` comes first, so a stop as soon
    as escaped.pid exists finds it in place. The escapee pid file is
    written atomically."""
    esc = ctx.scratch / "escaped.pid"
    env = "env -i " if clear_env else ""
    script = ctx.scratch / "escaper.sh"
    script.write_text(
        "#!/bin/sh\n"
        f"{trap}\n"
        f"rm -f {esc}\n"
        f"{env}setsid /bin/sh -c 'echo $$ >> {esc}.all; "
        f"echo $$ > {esc}.tmp && mv {esc}.tmp {esc}; "
        "exec sleep 1000' &\n"
        f"while [ ! -s {esc} ]; do sleep 0.01; done\n"
        f"{then}\n")
    script.chmod(0o755)
    return script, esc


def session_of(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[3])


def assert_escaped(escaped, child):
    """The escapee really left the child's session (else the test would
    prove nothing a process-group kill does not already do)."""
    assert pid_alive(escaped)
    assert session_of(escaped) == escaped != child


# ---- setsid'd descendants ------------------------------------------------

@pytest.mark.parametrize("case", ["graceful", "terminate", "environment-cleared"])
def test_setsid_descendant_gone_after_stop(ctx, case):
    """graceful: the child exits on SIGTERM; terminate: it ignores SIGTERM
    and the ladder's terminate ends it. Either way the setsid'd descendant,
    which SIGTERM to the child's group never reaches, is gone after the
    stop, even when it cleared its environment."""
    trap = "trap 'exit 0' TERM" if case != "terminate" else "trap '' TERM"
    script, esc = escaper_script(ctx, "while :; do sleep 0.05; done", trap=trap,
                                 clear_env=case == "environment-cleared")
    ini = service_ini(ctx, f"setsid-{case}", "", """
        [stop]
        timeout = 300ms
        [restart]
        policy = no
        """, executable=script)
    w = ctx.wrapper(ini)
    escaped = wait_pid_file(esc)
    child = int(w.wait_log(r"started .*, pid (\d+) ")[1])
    assert_escaped(escaped, child)
    w.signal(signal.SIGTERM)
    assert w.wait(5) == 0, w.log()
    wait_pid_gone(escaped, 3, "the setsid'd descendant to be gone after the stop")
    assert re.search(r"(child exited|terminate): ended \d+ process", w.log()), w.log()
    if case == "terminate":
        assert "grace time over; step 2 of 2: terminate" in w.log()
    assert "still open" not in w.log(), "the descendant held the output until the drain ended"


def test_setsid_descendant_gone_before_restart(ctx):
    """A child that exits 1 leaving a setsid'd descendant on its stdout:
    the descendant is gone before the restart, and the exit is reported at
    once (no 2 s output drain), so restarts are not slowed down."""
    script, esc = escaper_script(ctx, "exit 1")
    ini = service_ini(ctx, "setsid-restart", "", """
        [restart]
        policy = on-failure
        delay = 0
        burst = 3
        interval = 1min
        """, executable=script)
    w = ctx.wrapper(ini)
    assert w.wait(10) == 1, w.log()
    log = w.log()
    starts = re.findall(r"started .*, pid (\d+) \(restart (\d+)\)", log)
    assert len(starts) == 3, log
    # Each run's descendant was ended when its child exited, before the
    # next start (the log is in order: the wrapper's one loop writes it).
    events = re.findall(r"child exited: ended 1 process left of the child's "
                        r"tree|started .*, pid \d+ \(restart \d+\)", log)
    assert [e.startswith("child exited") for e in events] == \
        [False, True] * len(starts), log
    assert "still open" not in log, log
    escapees = [int(p) for p in Path(f"{esc}.all").read_text().split()]
    assert len(escapees) == len(starts), escapees
    for pid in escapees:
        wait_pid_gone(pid, 3, f"escaped pid {pid} to be gone")


def read_escaped(path):
    return int(path.read_text().strip())


@pytest.mark.parametrize("how", ["wrapper", "wrapper-group"])
def test_setsid_descendant_gone_after_kill9_of_svcwrap(ctx, how):
    """kill -9 of svcwrap (or of its whole process group): the orphan
    guard ends the setsid'd descendant, which it finds by the
    SVCWRAP_TREE marker in its environment."""
    script, esc = escaper_script(ctx, "while :; do sleep 0.05; done")
    ini = service_ini(ctx, f"setsid-kill9-{how}", "", executable=script)
    w = ctx.wrapper(ini)
    escaped = wait_pid_file(esc)
    child = int(w.wait_log(r"started .*, pid (\d+) ")[1])
    assert_escaped(escaped, child)
    with open(f"/proc/{escaped}/environ", "rb") as f:
        marker = [e for e in f.read().split(b"\0") if e.startswith(b"SVCWRAP_TREE=")]
    assert marker and marker[0].startswith(f"SVCWRAP_TREE={w.pid}-".encode()), marker
    if how == "wrapper":
        w.signal(signal.SIGKILL)
    else:
        os.killpg(w.pid, signal.SIGKILL)
    assert w.wait(5) == -signal.SIGKILL
    wait_pid_gone(child, 3, "the child to be gone after kill -9 of svcwrap")
    wait_pid_gone(escaped, 3, "the setsid'd descendant to be gone after kill -9 of svcwrap")


def test_group_member_without_marker_gone_after_kill9_of_svcwrap(ctx):
    """A process of the child's group that neither carries the
    SVCWRAP_TREE marker (environment cleared) nor has a parent left in the
    tree (orphaned, so after svcwrap's death it hangs below init): the
    orphan guard finds it only by the child's process group, which svcwrap
    tells it in their shared page. kill -9 of svcwrap must end it too."""
    esc = ctx.scratch / "orphan.pid"
    script = ctx.scratch / "orphaner.sh"
    script.write_text(
        "#!/bin/sh\n"
        f"( env -i SW_TEST_TAG=\"$SW_TEST_TAG\" /bin/sh -c 'echo $$ > {esc}.tmp && "
        f"mv {esc}.tmp {esc}; exec sleep 1000' & )\n"
        "while :; do sleep 0.05; done\n")
    script.chmod(0o755)
    ini = service_ini(ctx, "group-kill9", "", executable=script)
    w = ctx.wrapper(ini)
    orphan = wait_pid_file(esc)
    child = int(w.wait_log(r"started .*, pid (\d+) ")[1])
    with open(f"/proc/{orphan}/environ", "rb") as f:
        assert b"SVCWRAP_TREE=" not in f.read()
    with open(f"/proc/{orphan}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    assert int(fields[1]) == w.pid, "orphaned: reparented to svcwrap"
    assert int(fields[2]) == child, "in the child's process group"
    w.signal(signal.SIGKILL)
    assert w.wait(5) == -signal.SIGKILL
    wait_pid_gone(child, 3, "the child to be gone after kill -9 of svcwrap")
    wait_pid_gone(orphan, 3, "the unmarked group member to be gone after kill -9")


def test_a_dead_guard_is_logged(ctx):
    """The guard is not svcwrap's child, so no SIGCHLD tells of its end:
    svcwrap watches its end of their pipe, logs when the guard is gone,
    and the service keeps running (without that protection)."""
    from test_posix_idle import guard_pid

    ini = service_ini(ctx, "guard-dies", "--sleep 60")
    w = ctx.wrapper(ini)
    w.wait_log(r"started .*, pid \d+ ")
    guard = guard_pid(w.pid)
    assert guard is not None, "no orphan guard process"
    os.kill(guard, signal.SIGKILL)
    w.wait_log(r"orphan guard: it has exited", timeout=5)
    assert w.running()
    w.signal(signal.SIGTERM)
    assert w.wait(10) == 0, w.log()


# ---- the child's stdio and descriptors -----------------------------------

def test_child_can_open_dev_stdout_and_dev_stderr(ctx):
    """stdout and stderr are pipes: reopening them by name works (on a
    socket it fails with ENXIO), and the lines land in the log files."""
    script = ctx.scratch / "devout.sh"
    script.write_text("#!/bin/sh\n"
                      "echo via-dev-stdout >/dev/stdout || exit 3\n"
                      "echo via-dev-stderr >/dev/stderr || exit 4\n"
                      "echo plain-stdout\n")
    script.chmod(0o755)
    ini = service_ini(ctx, "devout", "", """
        [restart]
        policy = no
        [log]
        stdout = out.log
        stderr = err.log
        timestamps = false
        """, executable=script)
    w = ctx.wrapper(ini)
    assert w.wait(5) == 0, w.log()
    out = (ctx.scratch / "logs" / "out.log").read_text().splitlines()
    err = (ctx.scratch / "logs" / "err.log").read_text().splitlines()
    assert out == ["via-dev-stdout", "plain-stdout"], (out, w.log())
    assert err == ["via-dev-stderr"], (err, w.log())


def test_inherited_descriptors_do_not_reach_the_child(ctx):
    """svcwrap started with extra descriptors (a pipe and a file, without
    close-on-exec): the child (sleep, which opens nothing itself) has only
    0, 1 and 2."""
    r, wfd = os.pipe()
    extra = os.open(ctx.scratch / "held.txt", os.O_CREAT | os.O_WRONLY, 0o644)
    ini = service_ini(ctx, "fds", "1000", executable=shutil.which("sleep"))
    try:
        w = ctx.wrapper(ini, pass_fds=(r, wfd, extra))
    finally:
        for fd in (r, wfd, extra):
            os.close(fd)
    child = int(w.wait_log(r"started .*, pid (\d+) ")[1])
    wrapper_fds = {int(x) for x in os.listdir(f"/proc/{w.pid}/fd")}
    assert {r, wfd, extra} <= wrapper_fds, "svcwrap did not inherit them; the test proves nothing"
    fds = sorted(int(x) for x in os.listdir(f"/proc/{child}/fd"))
    assert fds == [0, 1, 2], {fd: os.readlink(f"/proc/{child}/fd/{fd}") for fd in fds}
    assert os.readlink(f"/proc/{child}/fd/1").startswith("pipe:")
    w.signal(signal.SIGTERM)
    assert w.wait(5) == 0, w.log()


# ---- PID 1 ---------------------------------------------------------------

def unshare_prefix():
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("unshare (util-linux) is not installed")
    probe = subprocess.run([unshare, "-fp", "--mount-proc", "true"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot make a pid namespace here (needs root or user "
                    f"namespaces): {probe.stderr.strip()}")
    return [unshare, "-fp", "--mount-proc"]


def namespace_pid1(w):
    """svcwrap's pid as seen from here: the child of unshare -f, which is
    PID 1 in its namespace."""
    def find():
        try:
            kids = open(f"/proc/{w.pid}/task/{w.pid}/children").read().split()
        except OSError:
            return None
        for k in kids:
            try:
                status = open(f"/proc/{k}/status").read()
            except OSError:
                continue
            m = re.search(r"^NSpid:\s+(\d+)\s+1$", status, re.M)
            if m:
                return int(k)
        return None

    return wait_until(find, 5, "svcwrap to run as PID 1 under unshare")


def namespace_procs(pid1):
    """(pid, state) of every process in pid1's pid namespace."""
    ns = os.readlink(f"/proc/{pid1}/ns/pid")
    out = []
    for e in os.listdir("/proc"):
        if not e.isdigit():
            continue
        try:
            if os.readlink(f"/proc/{e}/ns/pid") != ns:
                continue
            stat = open(f"/proc/{e}/stat").read()
        except OSError:
            continue
        out.append((int(e), stat.rsplit(")", 1)[1].split()[0]))
    return out


def test_pid1_reaps_every_orphan(ctx):
    """svcwrap as PID 1 of a pid namespace; the child double-forks 200
    short-lived grandchildren, each orphaned (reparented to PID 1) before
    it exits. None stays a zombie; SIGTERM stops it all, exit 0."""
    prefix = unshare_prefix()
    done = ctx.scratch / "spawned"
    script = ctx.scratch / "spawner.sh"
    script.write_text(
        "#!/bin/sh\n"
        "i=0\n"
        "while [ $i -lt 200 ]; do (sleep 0.05 &); i=$((i + 1)); done\n"
        f"touch {done}\n"
        "trap 'exit 0' TERM\n"
        "while :; do sleep 0.05; done\n")
    script.chmod(0o755)
    ini = service_ini(ctx, "pid1-reaper", "", executable=script)
    w = ctx.wrapper(ini, prefix=prefix)
    pid1 = namespace_pid1(w)
    wait_until(done.exists, 10, "the child to have spawned its grandchildren")

    def settled():
        procs = namespace_procs(pid1)
        zombies = [p for p, st in procs if st == "Z"]
        # Only svcwrap, its guard and the child's shell (and its current
        # `sleep 0.05`) remain once the grandchildren are done.
        return procs if not zombies and len(procs) <= 4 else None

    try:
        procs = wait_until(settled, 5, "no zombies and no grandchildren in the namespace")
    except AssertionError:
        procs = namespace_procs(pid1)
        raise AssertionError(f"processes in the namespace: {procs}\nlog:\n{w.log()}")
    assert all(st != "Z" for _, st in procs), procs
    os.kill(pid1, signal.SIGTERM)
    assert w.wait(10) == 0, w.log()


@pytest.mark.parametrize("case,args,want", [
    ("exit-code", "--exit 3", 3),
    ("exit-zero", "--exit 0", 0),
    ("crash", "--crash", 128 + signal.SIGSEGV),
])
def test_pid1_exits_with_the_childs_status(ctx, case, args, want):
    """As PID 1, when the child exits and is not restarted, svcwrap exits
    with the child's status: its code, or 128 + the signal."""
    prefix = unshare_prefix()
    ini = service_ini(ctx, f"pid1-{case}", args, """
        [restart]
        policy = no
        """)
    w = ctx.wrapper(ini, prefix=prefix)
    assert w.wait(10) == want, w.log()
    assert f"exiting with the child's status {want} (PID 1)" in w.log()


def test_pid1_requested_stop_exits_0(ctx):
    """As PID 1, a requested stop (docker stop: SIGTERM) ends with svcwrap's
    own code, 0 for a clean stop, whatever the child's code."""
    prefix = unshare_prefix()
    ready = ctx.scratch / "child.ready"
    ini = service_ini(ctx, "pid1-stop", f"--ready-file {ready} --sleep -1 --on-stop-exit 5")
    w = ctx.wrapper(ini, prefix=prefix)
    pid1 = namespace_pid1(w)
    wait_pid_file(ready)
    os.kill(pid1, signal.SIGTERM)
    assert w.wait(10) == 0, w.log()
    assert "child's status" not in w.log()
