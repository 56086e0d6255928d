# SPDX-License-Identifier: MIT
"""`svcwrap run` as the foreground supervisor on Linux, with real processes:
restart timeline and give-up, the stop ladder, the process tree (no orphan
survives), exit classification, the child's environment, single instance,
and `status`.

The wrapper's log is its stderr (ISO-8601 timestamps, ms resolution); the
children (tests/children/README.md) log what happens to them in a file and
write pid/ready files, which is what the tests wait for.
"""
import os
import re
import signal
import time

import pytest

from conftest import (GOCHILD, TESTCHILD, TIMEOUT_MULT, FifoReader,
                      pid_alive, scaled, wait_pid_file, wait_pid_gone,
                      wait_until, write_ini)


# ---- helpers -------------------------------------------------------------

def service_ini(ctx, name, arguments, extra="", executable=TESTCHILD,
                folder=None, process_extra=""):
    """An INI for one test: [service] name, [process] executable, arguments
    (and process_extra), then the `extra` sections. Written to the scratch
    folder (or `folder`)."""
    def lines(text):
        return "".join(l.strip() + "\n" for l in text.strip().splitlines())

    return write_ini(folder or ctx.scratch,
                     f"[service]\nname = {name}\n\n[process]\n"
                     f"executable = {executable}\narguments = {arguments}\n"
                     + lines(process_extra) + "\n" + lines(extra))


def child_log(path):
    try:
        return path.read_text().splitlines()
    except FileNotFoundError:
        return []


def wait_child_log(path, line, timeout=5.0):
    wait_until(lambda: line in child_log(path), timeout,
               f"child log {path.name} to contain {line!r}")


def log_times(w, pattern):
    """Times (s) of every wrapper log entry matching the regex, and the
    matches."""
    rx = re.compile(pattern)
    out = []
    for ts, _pid, _lvl, text in w.log_entries():
        m = rx.search(text)
        if m:
            out.append((ts, m))
    return out


class Files:
    """Paths a test child uses in the scratch folder."""

    def __init__(self, scratch):
        self.log = scratch / "child.log"
        self.ready = scratch / "child.ready"
        self.pid = scratch / "child.pid"
        self.gc = scratch / "grandchild.pid"


# ---- restart timeline ----------------------------------------------------

def test_restart_timeline_backoff_status_and_give_up(ctx):
    """delay=100ms, steps=3, max_delay=800ms, burst=10: restarts after
    100, 200, 400, 800, 800... ms, then gives up after the 10th start. The
    status endpoint shows restarts rising and last_exit {1, failure}."""
    f = Files(ctx.scratch)
    ini = service_ini(ctx, "timeline", f"--log {f.log} --exit 1", """
        [restart]
        policy = on-failure
        delay = 100ms
        steps = 3
        max_delay = 800ms
        burst = 10
        interval = 1min
        """)
    w = ctx.wrapper(ini)

    observations = []
    deadline = time.monotonic() + scaled(20)
    while w.running():
        assert time.monotonic() < deadline, "the restart loop did not end in time"
        rc, doc = ctx.status_json(ini)
        if doc.get("wrapper_running"):
            assert rc == 0, doc
            observations.append(doc)
        time.sleep(0.03)
    assert w.wait(5) == 1, w.log()

    # The wrapper's start lines and the child's own record agree: 10 runs.
    starts = log_times(w, r"^started .*, pid (\d+) \(restart (\d+)\)$")
    assert [int(m[2]) for _, m in starts] == list(range(10)), w.log()
    child_pids = [l for l in child_log(f.log) if l.startswith("start pid=")]
    assert child_pids == [f"start pid={m[1]}" for _, m in starts]

    expected = [100, 200, 400, 800, 800, 800, 800, 800, 800]
    decided = [int(m[1]) for _, m in
               log_times(w, r"policy on-failure restarts in (\d+)ms \(restart \d+\)")]
    assert decided == expected, w.log()
    gaps = [round((b[0] - a[0]) * 1000) for a, b in zip(starts, starts[1:])]
    tolerance = 60 * TIMEOUT_MULT
    for i, (gap, want) in enumerate(zip(gaps, expected), 1):
        assert want <= gap <= want + tolerance, (
            f"restart {i}: {gap}ms between starts, wanted {want}ms (+{tolerance:.0f}); "
            f"all gaps {gaps}")
    assert re.search(r"running -> failed: failure exit; giving up: 10 starts within "
                     r"60000ms \(burst 10\)", w.log()), w.log()
    assert re.search(r"service timeline failed \(exit code 1\)", w.log())

    # What status showed while it ran: consistent and monotonic.
    assert len(observations) >= 3, observations
    restarts = [d["restarts"] for d in observations]
    assert restarts == sorted(restarts), restarts
    assert len(set(restarts)) >= 3, f"too few distinct observations: {restarts}"
    assert max(restarts) <= 9
    for d in observations:
        assert d["name"] == "timeline" and d["wrapper_pid"] == w.pid
        assert d["state"] in ("starting", "running", "backoff"), d
        if d["restarts"] == 0:
            assert d["last_exit"] is None, d
        else:
            le = d["last_exit"]
            assert le is not None and le["code"] == 1 and le["class"] == "failure", d
            assert le["signal"] is None and le["at"], d
        if d["state"] == "backoff":
            assert d["next_restart_at"] and d["pid"] is None, d


# ---- the stop ladder -----------------------------------------------------

@pytest.mark.parametrize("kind", ["testchild", "gochild"])
def test_sigterm_graceful_stop(ctx, kind):
    """SIGTERM to svcwrap: the child gets SIGTERM (ctrl-break), exits by
    itself, the wrapper exits 0."""
    f = Files(ctx.scratch)
    if kind == "testchild":
        exe, args, seen = TESTCHILD, f"--log {f.log} --ready-file {f.ready} --sleep -1", "sigterm"
    else:
        exe, args, seen = GOCHILD, f"-log {f.log} -ready-file {f.ready}", "terminated"
    ini = service_ini(ctx, f"graceful-{kind}", args, """
        [stop]
        timeout = 10s
        """, executable=exe)
    w = ctx.wrapper(ini)
    child = wait_pid_file(f.ready)
    w.signal(signal.SIGTERM)
    assert w.wait(5) == 0, w.log()
    assert child_log(f.log)[-2:] == [seen, "exit code=0"], child_log(f.log)
    log = w.log()
    assert f"stop: sent ctrl-break to pid {child}" in log
    assert f"child pid {child} exited with code 0" in log, log
    assert "sent terminate" not in log, "the child stopped by itself; no terminate"
    assert "stopping -> stopped: child exited after the stop request" in log
    wait_pid_gone(child)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGHUP], ids=["SIGINT", "SIGHUP"])
def test_other_stop_signals(ctx, sig):
    """SIGINT (Ctrl+C) and SIGHUP stop svcwrap like SIGTERM: the ladder's
    ctrl-break (SIGTERM) reaches the child."""
    f = Files(ctx.scratch)
    ini = service_ini(ctx, "signals", f"--log {f.log} --ready-file {f.ready} --sleep -1")
    w = ctx.wrapper(ini)
    wait_pid_file(f.ready)
    w.signal(sig)
    assert w.wait(5) == 0, w.log()
    assert child_log(f.log)[-2:] == ["sigterm", "exit code=0"], child_log(f.log)


def test_ignored_sigterm_is_killed_after_timeout(ctx):
    """A child ignoring SIGTERM is SIGKILLed after [stop] timeout (500ms),
    not before; status shows the stopping step meanwhile; exit 0."""
    f = Files(ctx.scratch)
    ini = service_ini(ctx, "stubborn",
                      f"--log {f.log} --ready-file {f.ready} --sleep -1 --ignore-stop", """
        [stop]
        timeout = 500ms
        """)
    w = ctx.wrapper(ini)
    child = wait_pid_file(f.ready)
    w.signal(signal.SIGTERM)
    wait_child_log(f.log, "sigterm")
    rc, doc = ctx.status_json(ini)
    if doc.get("wrapper_running"):  # unless the 500ms already passed
        assert rc == 0 and doc["state"] == "stopping" and doc["stop_step"] == "ctrl-break", doc
    assert w.wait(5) == 0, w.log()
    # The grace timer starts when the request is handled; log times have
    # ms resolution, hence the 2 ms allowance below 500.
    received = w.log_time(r"^received Terminated")
    w.log_time(r"^stop: sent ctrl-break")
    killed = w.log_time(r"^stop: sent terminate")
    waited = (killed - received) * 1000
    assert 498 <= waited <= 500 + 150 * TIMEOUT_MULT, f"terminate after {waited:.0f}ms"
    assert f"child pid {child} killed by signal 9" in w.log()
    assert "stopping -> stopped: child exited after the stop request" in w.log()
    assert "exit code=" not in "\n".join(child_log(f.log)), "the child must not exit by itself"
    wait_pid_gone(child)


def test_ctrl_c_method_sends_sigint(ctx):
    f = Files(ctx.scratch)
    ini = service_ini(ctx, "ctrlc", f"--log {f.log} --ready-file {f.ready} --sleep -1", """
        [stop]
        method = ctrl-c
        timeout = 5s
        """)
    w = ctx.wrapper(ini)
    child = wait_pid_file(f.ready)
    w.signal(signal.SIGTERM)
    assert w.wait(5) == 0, w.log()
    assert child_log(f.log)[-2:] == ["sigint", "exit code=0"], child_log(f.log)
    assert f"stop: sent ctrl-c to pid {child}" in w.log()
    assert "sent terminate" not in w.log()


def test_event_and_wm_close_are_skipped_at_once(ctx):
    """On Linux, event and wm-close cannot be delivered: each is logged and
    the ladder moves on at once, without waiting their grace time."""
    f = Files(ctx.scratch)
    ini = service_ini(ctx, "skipper", f"--log {f.log} --ready-file {f.ready} --sleep -1", """
        [stop]
        method = event, wm-close, ctrl-break
        timeout = 2s
        """)
    w = ctx.wrapper(ini)
    wait_pid_file(f.ready)
    w.signal(signal.SIGTERM)
    assert w.wait(5) == 0, w.log()
    log = w.log()
    assert "warning: [stop] method: event is unavailable on Linux; the ladder skips it" in log
    assert "warning: [stop] method: wm-close is unavailable on Linux; the ladder skips it" in log
    assert re.search(r"warning: stop: event could not be delivered: .*; next method", log), log
    assert re.search(r"warning: stop: wm-close could not be delivered: .*; next method", log), log
    received = w.log_time(r"^received ")
    sent = w.log_time(r"^stop: sent ctrl-break")
    assert (sent - received) * 1000 < 200 * TIMEOUT_MULT, "the skipped steps were waited for"
    assert child_log(f.log)[-2:] == ["sigterm", "exit code=0"]


def test_stop_during_backoff_cancels_the_restart(ctx):
    """A stop while waiting to restart ends at once, cleanly (exit 0);
    status showed the backoff with its next restart time."""
    f = Files(ctx.scratch)
    ini = service_ini(ctx, "backoff", f"--log {f.log} --exit 1", """
        [restart]
        delay = 20s
        """)
    w = ctx.wrapper(ini)
    w.wait_log(r"running -> backoff: failure exit; policy on-failure restarts in 20000ms")
    rc, doc = ctx.status_json(ini)
    assert rc == 0 and doc["state"] == "backoff" and doc["pid"] is None, doc
    assert doc["next_restart_at"] and doc["restarts"] == 1, doc
    assert doc["last_exit"]["code"] == 1 and doc["last_exit"]["class"] == "failure", doc
    t0 = time.monotonic()
    w.signal(signal.SIGTERM)
    assert w.wait(5) == 0, w.log()
    assert time.monotonic() - t0 < scaled(2)
    assert "backoff -> stopped: stop requested while waiting to restart" in w.log()
    assert len(log_times(w, r"^started ")) == 1


def test_run_refuses_an_invalid_config(ctx):
    """run validates like check: exit 2, the problems on stderr, nothing
    started."""
    marker = ctx.scratch / "started"
    script = ctx.scratch / "child.sh"
    script.write_text(f"#!/bin/sh\ntouch {marker}\n")
    script.chmod(0o755)
    ini = service_ini(ctx, "broken", "", """
        [restart]
        policy = sometimes
        """, executable=script)
    w = ctx.wrapper(ini)
    assert w.wait(5) == 2, w.log()
    assert f"{ini}:9: error: [restart] policy: \"sometimes\" is not accepted" in w.log()
    assert not marker.exists()
    assert "started " not in w.log()


def test_priority_is_applied_to_the_child(ctx):
    f = Files(ctx.scratch)
    ini = service_ini(ctx, "nice", f"--log {f.log} --ready-file {f.ready} --sleep -1",
                      process_extra="priority = below-normal")
    w = ctx.wrapper(ini)
    child = wait_pid_file(f.ready)

    def nice():
        with open(f"/proc/{child}/stat") as st:
            return int(st.read().rsplit(")", 1)[1].split()[16])

    wait_until(lambda: nice() == 10, 2, "the child's nice value to be 10 (below-normal)")
    w.signal(signal.SIGTERM)
    assert w.wait(5) == 0, w.log()


# ---- the process tree ----------------------------------------------------

TREE_CASES = {
    # name: (child arguments, [stop] timeout, [restart] policy)
    "graceful-stop": ("--sleep -1", "10s", "on-failure"),
    "stop-timeout": ("--sleep -1 --ignore-stop", "300ms", "on-failure"),
    "second-sigterm": ("--sleep -1 --ignore-stop", "20s", "on-failure"),
    "child-exits": ("--exit 0", "10s", "no"),
    "child-crashes": ("--crash", "10s", "no"),
    "wrapper-killed": ("--sleep -1", "10s", "on-failure"),
    # kill -9 -PGID: svcwrap and everything in its process group at once
    # (a shell's job control, a supervisor killing the group).
    "wrapper-group-killed": ("--sleep -1", "10s", "on-failure"),
}


@pytest.mark.parametrize("case", list(TREE_CASES))
def test_grandchild_never_survives(ctx, case):
    """The child starts a grandchild (same process group, ignores SIGTERM,
    sleeps forever). Whatever ends the child, the grandchild goes too."""
    args, timeout, policy = TREE_CASES[case]
    f = Files(ctx.scratch)
    ini = service_ini(ctx, f"tree-{case}",
                      f"--log {f.log} --ready-file {f.ready} --pid-file {f.pid} "
                      f"--spawn-grandchild {f.gc} {args}", f"""
        [stop]
        timeout = {timeout}
        [restart]
        policy = {policy}
        """)
    w = ctx.wrapper(ini)
    child = wait_pid_file(f.pid)
    grandchild = wait_pid_file(f.gc)
    assert grandchild != child

    if case in ("child-exits", "child-crashes"):
        want_rc = 0 if case == "child-exits" else 1
        assert w.wait(5) == want_rc, w.log()
        if case == "child-crashes":
            assert f"child pid {child} killed by signal 11" in w.log()
            assert "running -> failed: abnormal exit; policy no does not restart it" in w.log()
        else:
            assert "running -> stopped: success exit; policy no does not restart it" in w.log()
    else:
        wait_pid_file(f.ready)
        assert pid_alive(grandchild), "the grandchild should be running now"
        if case == "wrapper-killed":
            w.signal(signal.SIGKILL)
            assert w.wait(5) == -signal.SIGKILL
        elif case == "wrapper-group-killed":
            os.killpg(w.pid, signal.SIGKILL)  # run in its own session: pgid == pid
            assert w.wait(5) == -signal.SIGKILL
        else:
            w.signal(signal.SIGTERM)
            if case == "second-sigterm":
                w.wait_log(r"stop: sent ctrl-break")
                wait_child_log(f.log, "sigterm")
                t0 = time.monotonic()
                w.signal(signal.SIGTERM)
                assert w.wait(5) == 0, w.log()
                assert time.monotonic() - t0 < scaled(2), "the second SIGTERM did not terminate at once"
                assert "; terminating now" in w.log()
                assert "second stop request; step 2 of 2: terminate" in w.log()
            else:
                assert w.wait(5) == 0, w.log()
            if case == "stop-timeout":
                assert "ctrl-break grace time over; step 2 of 2: terminate" in w.log()
    wait_pid_gone(child, 3, f"child {child} to be gone")
    wait_pid_gone(grandchild, 3, f"grandchild {grandchild} to be gone ({case})")


# ---- exit classification -------------------------------------------------

@pytest.mark.parametrize("case,args,restart,want_rc,want", [
    ("exit0-on-failure", "--exit 0", "policy = on-failure", 0,
     "running -> stopped: success exit; policy on-failure does not restart it"),
    ("exit3-policy-no", "--exit 3", "policy = no", 1,
     "running -> failed: failure exit; policy no does not restart it"),
    ("exit1-on-abnormal", "--exit 1", "policy = on-abnormal", 1,
     "running -> failed: failure exit; policy on-abnormal does not restart it"),
    ("success-code-list", "--exit 42", "policy = on-failure\nsuccess_exit_codes = 0, 42", 0,
     "running -> stopped: success exit; policy on-failure does not restart it"),
])
def test_exit_classification_without_restart(ctx, case, args, restart, want_rc, want):
    f = Files(ctx.scratch)
    ini = service_ini(ctx, case, f"--log {f.log} {args}", f"""
        [restart]
        {restart}
        delay = 50ms
        """)
    w = ctx.wrapper(ini)
    assert w.wait(5) == want_rc, w.log()
    assert want in w.log(), w.log()
    assert len(log_times(w, r"^started ")) == 1, "no restart expected"
    rc, doc = ctx.status_json(ini)
    assert rc == 3 and doc["state"] == "stopped" and doc["wrapper_running"] is False, doc


def test_crash_restarts_with_on_abnormal(ctx):
    """SIGSEGV is abnormal: on-abnormal restarts it (until the burst)."""
    f = Files(ctx.scratch)
    ini = service_ini(ctx, "crasher", f"--log {f.log} --crash", """
        [restart]
        policy = on-abnormal
        delay = 50ms
        steps = 0
        burst = 3
        """)
    w = ctx.wrapper(ini)
    assert w.wait(10) == 1, w.log()
    crashes = log_times(w, r"^child pid \d+ killed by signal 11 ")
    assert len(crashes) == 3, w.log()
    assert len(log_times(w, r"abnormal exit; policy on-abnormal restarts in 50ms")) == 2
    assert "abnormal exit; giving up: 3 starts" in w.log()
    assert child_log(f.log).count("crash") == 3


def test_prevent_exit_codes_stop_restarting(ctx):
    """policy = always restarts an exit 1, but exit 7 is in
    prevent_exit_codes: no restart after it."""
    counter = ctx.scratch / "runs"
    script = ctx.scratch / "flaky.sh"
    script.write_text(f"#!/bin/sh\nn=$(cat {counter} 2>/dev/null || echo 0)\n"
                      f"n=$((n + 1))\necho $n > {counter}\n"
                      "[ $n -ge 2 ] && exit 7\nexit 1\n")
    script.chmod(0o755)
    ini = service_ini(ctx, "prevented", "", """
        [restart]
        policy = always
        delay = 50ms
        prevent_exit_codes = 7, 0x10
        """, executable=script)
    w = ctx.wrapper(ini)
    assert w.wait(5) == 1, w.log()
    assert counter.read_text().strip() == "2"
    log = w.log()
    assert "failure exit; policy always restarts in 50ms (restart 1)" in log
    assert "running -> failed: failure exit with code 7, listed in prevent_exit_codes" in log
    assert len(log_times(w, r"^started ")) == 2


# ---- the child's environment ---------------------------------------------

def test_environment_working_directory_and_arguments(ctx):
    """[environment] and SVCWRAP_SERVICE_NAME reach the child; the working
    directory defaults to the INI's folder (not svcwrap's current one);
    arguments are split by Windows rules, then %VAR%-expanded."""
    conf = ctx.scratch / "conf"
    arguments = (r'--print-env SW_GREETING --print-env SVCWRAP_SERVICE_NAME '
                 r'--print-env SW_FROM_VAR --print-cwd --print-args -- '
                 r'"hello world" a\"b "c d"e back\slash "x\\" y "" %SW_TEST_SPACEY%')
    ini = service_ini(ctx, "envtest", arguments, """
        [environment]
        SW_GREETING = hello world
        SW_FROM_VAR = %SW_TEST_OUTER%-x
        [restart]
        policy = no
        [log]
        stdout = child.out.log
        timestamps = false
        """, folder=conf)
    env = ctx.env(extra={"SW_TEST_OUTER": "outer", "SW_TEST_SPACEY": "two words"})
    w = ctx.wrapper(ini, env=env, cwd=ctx.scratch)
    assert w.wait(5) == 0, w.log()
    out = w.child_stdout(conf / "logs" / "child.out.log").splitlines()
    assert "SW_GREETING=hello world" in out, out
    assert "SVCWRAP_SERVICE_NAME=envtest" in out, out
    assert "SW_FROM_VAR=outer-x" in out, out
    assert f"cwd={conf}" in out, out
    args = [l.split("=", 1)[1] for l in out if re.match(r"arg\[\d+\]=", l)]
    assert args[8:] == ["--", "hello world", 'a"b', "c de", "back\\slash", "x\\",
                        "y", "", "two words"], args
    assert f"argc={len(args) + 1}" in out


def test_status_with_a_long_log_folder_path(ctx):
    """The status socket lives in the log folder; a path longer than a
    socket address allows (108 bytes) must still work, without the wrapper
    changing its current directory to get there (it is named through a
    descriptor of the folder)."""
    f = Files(ctx.scratch)
    folder = ctx.scratch / ("d" * 100)
    ini = service_ini(ctx, "longpath", f"--log {f.log} --ready-file {f.ready} --sleep -1",
                      folder=folder)
    assert len(str(folder / "logs" / "longpath.sock")) > 108
    w = ctx.wrapper(ini)
    child = wait_pid_file(f.ready)
    w.wait_log(r"starting -> running")
    rc, doc = ctx.status_json(ini)
    assert rc == 0 and doc["pid"] == child and doc["wrapper_pid"] == w.pid, doc
    assert os.readlink(f"/proc/{w.pid}/cwd") == str(ctx.scratch)
    w.signal(signal.SIGTERM)
    assert w.wait(5) == 0, w.log()
    rc, doc = ctx.status_json(ini)
    assert rc == 3 and doc["wrapper_running"] is False, doc


# ---- one instance, status ----------------------------------------------

def test_second_run_refuses_and_status(ctx):
    """While one wrapper runs: status exits 0 and shows it; a second `run`
    of the same config refuses ('already running') without disturbing it.
    After the stop: status exits 3."""
    f = Files(ctx.scratch)
    ini = service_ini(ctx, "single", f"--log {f.log} --ready-file {f.ready} --sleep -1")
    w = ctx.wrapper(ini)
    child = wait_pid_file(f.ready)
    w.wait_log(r"starting -> running")

    rc, doc = ctx.status_json(ini)
    assert rc == 0, doc
    assert doc["name"] == "single" and doc["state"] == "running", doc
    assert doc["pid"] == child and doc["wrapper_pid"] == w.pid, doc
    assert doc["config"] == str(ini) and doc["restarts"] == 0, doc
    assert doc["last_exit"] is None and doc["started_at"], doc
    assert doc["wrapper_running"] is True
    human = ctx.run_svcwrap(["status", "-c", ini])
    assert human.returncode == 0, human.stderr
    lines = human.stdout.splitlines()
    assert "state:     running" in lines, human.stdout
    assert any(l.startswith(f"child:     pid {child}, up ") for l in lines), human.stdout

    second = ctx.wrapper(ini, name="second")
    assert second.wait(5) == 1, second.log()
    assert re.search(r"error: service single is already running \(it answers on .*single\.sock\); "
                     r"not starting a second copy", second.log()), second.log()
    assert "started " not in second.log(), "the second wrapper must start no child"
    assert w.running() and pid_alive(child)
    rc, doc = ctx.status_json(ini)
    assert rc == 0 and doc["wrapper_pid"] == w.pid, doc
    assert child_log(f.log).count("ready") == 1

    w.signal(signal.SIGTERM)
    assert w.wait(5) == 0, w.log()
    rc, doc = ctx.status_json(ini)
    assert rc == 3, doc
    assert doc["state"] == "stopped" and doc["wrapper_running"] is False, doc
    human = ctx.run_svcwrap(["status", "-c", ini])
    assert human.returncode == 3
    assert human.stdout.startswith("wrapper:   not running"), human.stdout


def test_second_run_leaves_the_running_logs_alone(ctx):
    """A refused second `run` claims the service before it opens any log
    file: the running wrapper's log and its child's log keep their inode
    and size, get no line of the second wrapper, and no rotated file
    appears or is pruned (a stale one beyond keep is left where it is)."""
    f = Files(ctx.scratch)
    logs = ctx.scratch / "logs"
    ini = service_ini(ctx, "alone", f"--log {f.log} --ready-file {f.ready} --print-args --sleep -1", f"""
        [log]
        directory = {logs}
        max_size = 1KB
        keep = 1
        """)
    w = ctx.wrapper(ini)
    wait_pid_file(f.ready)
    wlog, clog = logs / "alone.svcwrap.log", logs / "alone.out.log"
    wait_until(lambda: wlog.exists() and "starting -> running" in wlog.read_text(),
               scaled(5), "the wrapper log to show running")
    wait_until(lambda: clog.exists() and clog.stat().st_size > 0, scaled(5),
               "the child's log to get its output")
    # Beyond keep = 1: only a wrapper that opens these logs prunes them.
    stale = [logs / "alone.svcwrap.3.log", logs / "alone.out.3.log"]
    for p in stale:
        p.write_text("stale\n")

    def snapshot():
        return {p.name: (p.stat().st_ino, p.stat().st_size)
                for p in logs.iterdir() if p.is_file()}

    before = snapshot()
    second = ctx.wrapper(ini, name="second")
    assert second.wait(5) == 1, second.log()
    assert re.search(r"error: service alone is already running \(it answers on .*alone\.sock\); "
                     r"not starting a second copy", second.log()), second.log()
    after = snapshot()
    assert after.keys() == before.keys(), (before, after)
    for name, (ino, size) in before.items():
        assert after[name][0] == ino, f"{name} was replaced"
        assert after[name][1] >= size, f"{name} shrank"
    for p in (wlog, clog):
        assert f"svcwrap[{second.pid}]" not in p.read_text(), \
            f"{p.name} has a line of the second wrapper:\n{p.read_text()}"
    assert w.running()
    w.signal(signal.SIGTERM)
    assert w.wait(5) == 0, w.log()


def test_stop_while_exited_childs_output_is_still_pending(ctx):
    """The child writes 4.8 MB and exits while its log's disk takes nothing
    (a FIFO nobody reads yet): the log writer's queue (4 MiB) is full,
    reading is paused and the rest waits in the pipe, so the exit is not
    reported yet (the output drain waits for the writer). A stop in that
    window must end as a clean stop (exit 0), not as 'terminate could not
    be delivered' / failed, and no line is lost. (A process outside the
    tree holding the pipe no longer opens such a window on Linux: the pipes
    outlive the child, test_posix_output_pipes.py.)"""
    logs = ctx.scratch / "logs"
    logs.mkdir()
    fifo = logs / "pending.out.log"
    os.mkfifo(fifo)
    # More than the queue plus one read (256 KiB), less than the queue plus
    # the 1 MiB pipe: reading pauses, and the child can still exit.
    lines = 48_000
    ini = service_ini(ctx, "pending", f"--lines {lines} --line-bytes 100", """
        [restart]
        policy = no
        [stop]
        timeout = 300ms
        [log]
        timestamps = false
        max_size = 1GB
        """)
    w = ctx.wrapper(ini)
    child = int(w.wait_log(r"started .*, pid (\d+) ")[1])
    wait_pid_gone(child, 10, "the child to write everything and exit")
    assert w.running(), "the exit report waits for the output"
    assert "exited with code" not in w.log()
    w.signal(signal.SIGTERM)
    w.wait_log(r"stop: ")
    reader = FifoReader(fifo)
    rc = w.wait(10)
    assert reader.join(10), "the wrapper closed the FIFO at exit"
    log = w.log()
    assert "could not be delivered" not in log, log
    assert "stopping -> stopped: child exited after the stop request" in log, log
    assert rc == 0, log
    assert len(reader.data) == lines * 100, (len(reader.data), log)


# ---- a child that cannot be started --------------------------------------

@pytest.mark.parametrize("kind,code", [("missing", 127), ("not-executable", 126)])
def test_spawn_failure_exit_code_says_why(ctx, kind, code):
    """A child that cannot be started is a failure with a shell's code: 127
    when the executable does not exist, 126 when it exists but cannot be
    run. The decision is made from the error code the backend returns
    (SW_ENOENT on both platforms), so it is the same on Windows."""
    exe = ctx.scratch / "app"
    if kind == "not-executable":
        exe.write_text("not a program\n")
        exe.chmod(0o644)
    ini = service_ini(ctx, f"spawn-{kind}", "", executable=exe, extra="""
        [restart]
        policy = no
        """)
    w = ctx.wrapper(ini)
    assert w.wait(10) == 1, w.log()
    log = w.log()
    reason = "No such file or directory" if kind == "missing" else "Permission denied"
    assert re.search(rf"error: start {re.escape(str(exe))}: {reason}", log), log
    assert f"service spawn-{kind} failed (exit code {code})" in log, log
