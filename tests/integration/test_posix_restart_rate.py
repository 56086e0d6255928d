# SPDX-License-Identifier: MIT
"""What a restart costs the wrapper at zero delay (docs/benchmarks.md,
restart rate): one log line for "running -> backoff -> starting" instead
of two, and no system call at all to tell the orphan guard the new group
(a store into the page they share; the guard's own tests are in
test_posix_tree.py).
"""
import re
import shutil

import pytest

from conftest import TESTCHILD, write_ini


def crash_loop_ini(ctx, name, delay, burst):
    return write_ini(ctx.scratch,
                     f"[service]\nname = {name}\n\n[process]\n"
                     f"executable = {TESTCHILD}\narguments = --exit 1\n\n"
                     f"[restart]\npolicy = on-failure\ndelay = {delay}\n"
                     f"max_delay = {delay}\nsteps = 0\nburst = {burst}\n"
                     "interval = 1min\n")


def test_zero_delay_restart_is_one_transition_line(ctx):
    """burst 8 at delay 0: 8 starts, 7 restarts, each logged as one
    "running -> backoff -> starting" line with both reasons; no separate
    backoff line. The give-up is logged as before."""
    ini = crash_loop_ini(ctx, "loop0", "0", 8)
    w = ctx.wrapper(ini)
    assert w.wait(20) == 1, w.log()
    log = w.log()
    merged = re.findall(
        r"running -> backoff -> starting: failure exit; policy on-failure "
        r"restarts in 0ms \(restart (\d+)\); restart (\d+) after 0ms", log)
    assert [(int(a), int(b)) for a, b in merged] == [(i, i) for i in range(1, 8)], log
    assert "running -> backoff:" not in log, log
    assert "info: backoff -> " not in log, log
    assert len(re.findall(r"started .*, pid \d+ \(restart \d+\)", log)) == 8, log
    assert re.search(r"running -> failed: failure exit; giving up: 8 starts", log), log


def test_restart_with_a_delay_keeps_two_lines(ctx):
    """With a delay the backoff is its own line when it begins (status and
    the log show the wait), and "backoff -> starting" when it ends."""
    ini = crash_loop_ini(ctx, "loop1", "50ms", 3)
    w = ctx.wrapper(ini)
    assert w.wait(20) == 1, w.log()
    log = w.log()
    assert len(re.findall(r"info: running -> backoff: failure exit; policy "
                          r"on-failure restarts in 50ms", log)) == 2, log
    assert len(re.findall(r"info: backoff -> starting: restart \d+ after 50ms",
                          log)) == 2, log
    assert "-> backoff ->" not in log, log


def guard_writes(trace):
    """The wrapper's 4-byte writes (the guard's pipe takes only those; the
    log lines, libuv's signal pipe and the log writer's wake-ups have other
    sizes), as signed 32-bit values."""
    out = []
    for m in re.finditer(r'write\(\d+, "((?:\\x[0-9a-f]{2}){4})", 4\)\s+=\s+4',
                         trace):
        b = bytes(int(h, 16) for h in m[1].split("\\x")[1:])
        out.append(int.from_bytes(b, "little", signed=True))
    return out


@pytest.mark.skipif(shutil.which("strace") is None,
                    reason="strace is not installed (scripts/setup installs it)")
@pytest.mark.parametrize("delay", ["0", "300ms"])
def test_guard_is_told_without_a_write(ctx, delay):
    """4 starts, crash loop: the guard learns each new group and each "none"
    from the page it shares with the wrapper, so the wrapper's thread makes
    no 4-byte write (it made one or two per restart to the guard's pipe)."""
    ini = crash_loop_ini(ctx, f"guard-{delay}", delay, 4)
    trace = ctx.scratch / "trace.txt"
    # No -f: only the wrapper's own (main) thread, which alone told the
    # guard. LeakSanitizer cannot run under ptrace: leaks are checked
    # elsewhere.
    env = ctx.env({"ASAN_OPTIONS": "abort_on_error=0:detect_leaks=0"})
    w = ctx.wrapper(ini, env=env, prefix=["strace", "-qq", "-xx", "-s", "8", "-e",
                                 "trace=write", "-o", str(trace)])
    assert w.wait(30) == 1, w.log()
    pids = [int(p) for p in re.findall(r"started .*, pid (\d+) ", w.log())]
    assert len(pids) == 4, w.log()
    text = trace.read_text()
    assert "write(" in text, "strace saw the wrapper's writes"
    writes = guard_writes(text)
    assert writes == [], f"writes to the guard: {writes}\n{w.log()}"


def test_batched_stderr_loses_and_reorders_nothing(ctx):
    """The wrapper's lines for stderr wait for the end of the loop's turn
    (one write per turn in a crash loop): stderr still has every line of
    the wrapper log file, in the same order, warnings among the info lines
    where they were logged, and the last line written after the loop ended.
    """
    ini = write_ini(ctx.scratch,
                    "[service]\nname = batch\n\n[process]\n"
                    f"executable = {TESTCHILD}\n"
                    "arguments = --lines 3 --crash\n\n"
                    "[restart]\npolicy = on-failure\ndelay = 0\nmax_delay = 0\n"
                    "steps = 0\nburst = 6\ninterval = 1min\n\n"
                    "[log]\ntail_lines = 2\n")
    w = ctx.wrapper(ini)
    assert w.wait(20) == 1, w.log()
    err = w.log().splitlines()
    wlog = (ctx.scratch / "logs" / "batch.svcwrap.log").read_text().splitlines()
    assert len(wlog) > 30, wlog
    start = err.index(wlog[0])
    assert err[start:start + len(wlog)] == wlog, (err, wlog)
    # The crash context (warnings) sits between the exit and the restart.
    levels = [ln.split(": ")[1] for ln in err if "svcwrap[" in ln]
    assert "warning" in levels and "info" in levels, err
    assert re.search(r"service batch failed \(exit code \d+\)$", err[-1]), err


@pytest.mark.skipif(shutil.which("strace") is None,
                    reason="strace is not installed (scripts/setup installs it)")
def test_crash_loop_maps_no_memory_per_restart(ctx):
    """40 starts at zero delay: between the first start and the last, the
    wrapper's main thread maps and unmaps (almost) no memory. With musl's
    allocator (the static release binary) the child's record, made and
    freed once a restart, cost an mmap and a munmap each time; the
    service's child now reuses one static record (src/os/posix/child.c).
    The starts are posix_spawn's clone calls with CLONE_VFORK. Fails on
    the static binary before that change (79 calls over 39 restarts)."""
    starts = 40
    ini = crash_loop_ini(ctx, "maps", "0", starts)
    trace = ctx.scratch / "trace.txt"
    env = ctx.env({"ASAN_OPTIONS": "abort_on_error=0:detect_leaks=0"})
    w = ctx.wrapper(ini, env=env, prefix=[
        "strace", "-qq", "-e", "trace=mmap,munmap,clone,clone3", "-o",
        str(trace)])
    assert w.wait(60) == 1, w.log()
    assert len(re.findall(r"started .*, pid \d+ ", w.log())) == starts, w.log()
    calls = trace.read_text().splitlines()
    spawns = [i for i, c in enumerate(calls)
              if c.startswith(("clone(", "clone3(")) and "CLONE_VFORK" in c]
    assert len(spawns) == starts, calls
    # glibc's posix_spawn maps a stack for each start (MAP_STACK) and
    # unmaps it: that is the C library's, not an allocation of svcwrap's.
    stacks = {m[1] for m in (re.search(r"= (0x[0-9a-f]+)$", c)
                             for c in calls if "MAP_STACK" in c) if m}
    between = [c for c in calls[spawns[0]:spawns[-1]]
               if (c.startswith("mmap(") and "MAP_STACK" not in c)
               or (c.startswith("munmap(") and
                   c[len("munmap("):].split(",")[0] not in stacks)]
    assert len(between) < (starts - 1) / 2, (
        f"{len(between)} mmap/munmap calls over {starts - 1} restarts:\n"
        + "\n".join(between[-10:]))
