# SPDX-License-Identifier: MIT
"""[health] ready = notify and watchdog on Linux: the sd_notify protocol
through NOTIFY_SOCKET with the Go child (net.Dial("unixgram")) and with
`svcwrap notify` from a shell script; `status` shows `starting` until
READY=1; ready_timeout and a missed watchdog are health stops whose exits
the restart policy sees as classes timeout and watchdog; unset keys cost
nothing. The figures (READY=1 -> running, missed watchdog -> restart) are
printed; run with -s to see them."""
import os
import re
import signal
import socket
import stat

from conftest import GOCHILD, SVCWRAP, scaled, wait_until, write_ini


def ini(ctx, arguments, health, executable=GOCHILD, restart=""):
    return write_ini(ctx.scratch,
                     f"[service]\nname = rdy\n\n[process]\n"
                     f"executable = {executable}\narguments = {arguments}\n\n"
                     f"[health]\n{health}\n\n[restart]\ndelay = 200ms\n"
                     f"steps = 0\n{restart}\n")


def child_lines(path):
    try:
        return path.read_text().splitlines()
    except FileNotFoundError:
        return []


def sent_at(path, msg_prefix, nth=0):
    """Time (s) the child logged sending a message starting with
    msg_prefix (its own clock, same as the wrapper's)."""
    hits = [l for l in child_lines(path)
            if l.startswith(f'notify-sent msg="{msg_prefix}')]
    assert len(hits) > nth, f"child never sent {msg_prefix}: {child_lines(path)}"
    return int(re.search(r"at=(\d+)", hits[nth]).group(1)) / 1e9


def stop(w):
    w.signal(signal.SIGTERM)
    assert w.wait() == 0, w.log()


def test_status_starting_until_ready(ctx):
    log = ctx.scratch / "child.log"
    path = ini(ctx, f'-log {log} -notify-ready-after 1500 '
               f'-notify-status "serving on :8080"',
               "ready = notify\nready_timeout = 30s")
    w = ctx.wrapper(path)
    wait_until(lambda: "ready" in child_lines(log), 5, "the child to run")
    rc, doc = ctx.status_json(path)
    assert doc["state"] == "starting" and doc["ready"] is False, doc
    assert doc["status_text"] is None and doc["pid"] > 0
    assert rc == 0  # starting is up (the service is not stopped)
    human = ctx.run_svcwrap(["status", "-c", path]).stdout
    assert "state:     starting" in human and "waiting for READY=1" in human
    w.wait_log(r"wait-ready -> running: READY=1 from pid \d+", timeout=10)
    rc, doc = ctx.status_json(path)
    assert doc["state"] == "running" and doc["ready"] is True, doc
    assert doc["status_text"] == "serving on :8080"
    assert doc["restarts"] == 0
    ready = sent_at(log, "READY=1")
    running = w.log_time(r"wait-ready -> running")
    print(f"\nFIGURE READY=1 -> running: {(running - ready) * 1000:.1f} ms")
    # The log's ms resolution: the transition is within a few ms.
    assert -0.002 <= running - ready < scaled(0.5)
    stop(w)


def test_ready_timeout_restarts_as_timeout(ctx):
    log = ctx.scratch / "child.log"
    path = ini(ctx, f"-log {log}", "ready = notify\nready_timeout = 1s",
               restart="burst = 0")
    w = ctx.wrapper(path)
    w.wait_log(r"wait-ready -> stopping: timeout: no READY=1 within 1000ms; "
               r"step 1 of 2: ctrl-break", timeout=10)
    w.wait_log(r"stopping -> backoff: timeout exit; policy on-failure "
               r"restarts in 200ms", timeout=10)
    wait_until(lambda: sum(l.startswith("start pid=") for l in child_lines(log)) >= 2,
               10, "the restarted child")
    rc, doc = ctx.status_json(path)
    assert doc["last_exit"]["class"] == "timeout", doc
    assert doc["restarts"] >= 1
    stop(w)


def test_ready_timeout_with_policy_that_does_not_restart_fails(ctx):
    path = ini(ctx, "", "ready = notify\nready_timeout = 500ms",
               restart="policy = on-watchdog")
    w = ctx.wrapper(path)
    assert w.wait(10) == 1, w.log()
    assert "timeout exit; policy on-watchdog does not restart it" in w.log()


def test_watchdog_missed_restarts(ctx):
    log = ctx.scratch / "child.log"
    path = ini(ctx, f"-log {log} -watchdog-pings 4 -log-env WATCHDOG_USEC",
               "watchdog = 1s", restart="burst = 0")
    w = ctx.wrapper(path)
    m = w.wait_log(r"running -> stopping: watchdog: no WATCHDOG=1 within "
                   r"1000ms", timeout=15)
    w.wait_log(r"started .*\(restart 1\)", timeout=10)
    assert "env WATCHDOG_USEC=1000000" in child_lines(log)
    # The child pinged 4 times at half the period, then stopped: the
    # wrapper stops it one period after the last ping, not before.
    last_ping = sent_at(log, "WATCHDOG=1", 3)
    missed = last_ping + 1.0
    stopped = w.log_time(r"watchdog: no WATCHDOG=1 within 1000ms")
    restarted = w.log_time(r"started .*\(restart 1\)")
    print(f"\nFIGURE missed watchdog -> stop: {(stopped - missed) * 1000:.1f} ms;"
          f" -> restart: {(restarted - missed) * 1000:.1f} ms (delay 200ms)")
    assert stopped >= missed - 0.002
    assert stopped - missed < scaled(0.5)
    rc, doc = ctx.status_json(path)
    assert doc["last_exit"]["class"] == "watchdog", doc
    assert doc["watchdog_ms"] == 1000
    stop(w)


def test_watchdog_kept_alive_does_not_restart(ctx):
    log = ctx.scratch / "child.log"
    path = ini(ctx, f"-log {log} -watchdog-pings -1", "watchdog = 1s")
    w = ctx.wrapper(path)
    # Five periods with pings at half of it: no restart.
    wait_until(lambda: sum('msg="WATCHDOG=1"' in l for l in child_lines(log)) >= 10,
               15, "10 pings")
    assert "no WATCHDOG=1" not in w.log(), w.log()
    rc, doc = ctx.status_json(path)
    assert doc["restarts"] == 0 and doc["watchdog_ping_ago_ms"] < 1000, doc
    stop(w)


def test_notify_verb_from_a_shell_script(ctx):
    script = ctx.scratch / "child.sh"
    script.write_text(
        "#!/bin/sh\n"
        "sleep 0.3\n"
        f'"{SVCWRAP}" notify bogus; echo "bad arg rc=$?"\n'
        f'"{SVCWRAP}" notify READY=1 "STATUS=from sh" MAINPID=$$ || exit 9\n'
        "echo notified\n"
        "exec sleep 60\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    path = ini(ctx, "", "ready = notify\nready_timeout = 20s",
               executable=script)
    w = ctx.wrapper(path)
    w.wait_log(r"wait-ready -> running: READY=1", timeout=10)
    rc, doc = ctx.status_json(path)
    assert doc["state"] == "running" and doc["status_text"] == "from sh", doc
    assert doc["main_pid"] == doc["pid"]
    out = (ctx.scratch / "logs" / "rdy.out.log").read_text()
    assert "bad arg rc=2" in out and "notified" in out
    stop(w)


def test_notify_verb_without_a_receiver(ctx):
    env = ctx.env(remove=("NOTIFY_SOCKET",))
    r = ctx.run_svcwrap(["notify", "READY=1"], env=env)
    assert r.returncode == 1 and "NOTIFY_SOCKET is not set" in r.stderr
    r = ctx.run_svcwrap(["notify"], env=env)
    assert r.returncode == 2 and "nothing to send" in r.stderr
    env["NOTIFY_SOCKET"] = "relative/path"
    r = ctx.run_svcwrap(["notify", "READY=1"], env=env)
    assert r.returncode == 1 and "not a socket path or @abstract" in r.stderr


def test_notify_verb_to_an_abstract_socket(ctx):
    """NOTIFY_SOCKET=@name as systemd may set it: the verb works under
    systemd too, datagram for datagram."""
    name = f"svcwrap-test-{os.getpid()}-{ctx.tag}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.bind("\0" + name)
        s.settimeout(scaled(5))
        env = ctx.env({"NOTIFY_SOCKET": "@" + name})
        r = ctx.run_svcwrap(["notify", "READY=1", "STATUS=a b"], env=env)
        assert r.returncode == 0, r.stderr
        assert s.recv(4096) == b"READY=1\nSTATUS=a b"


def test_unset_keys_cost_nothing(ctx):
    """No [health] keys: no socket, no timer, the child's environment has
    no NOTIFY_SOCKET or WATCHDOG_USEC, status has no notify fields."""
    log = ctx.scratch / "child.log"
    path = ini(ctx, f"-log {log} -log-env NOTIFY_SOCKET,WATCHDOG_USEC", "")
    env = ctx.env(remove=("NOTIFY_SOCKET", "WATCHDOG_USEC"))
    w = ctx.wrapper(path, env=env)
    wait_until(lambda: "ready" in child_lines(log), 5, "the child to run")
    assert "env NOTIFY_SOCKET unset" in child_lines(log)
    assert "env WATCHDOG_USEC unset" in child_lines(log)
    rc, doc = ctx.status_json(path)
    assert doc["state"] == "running" and doc["ready"] is True
    assert "status_text" not in doc and "watchdog_ms" not in doc, doc
    assert "notify:" not in w.log()
    inodes = {os.readlink(f"/proc/{w.pid}/fd/{fd}")[len("socket:["):-1]
              for fd in os.listdir(f"/proc/{w.pid}/fd")
              if os.readlink(f"/proc/{w.pid}/fd/{fd}").startswith("socket:[")}
    with open("/proc/net/unix") as f:
        bound = [l.split()[7] for l in f.read().splitlines()[1:]
                 if len(l.split()) >= 8 and l.split()[6] in inodes]
    assert not [b for b in bound if b.endswith("/notify")], bound
    stop(w)


def test_extend_timeout_usec_holds_off_ready_timeout(ctx):
    """EXTEND_TIMEOUT_USEC= while waiting: READY=1 after ready_timeout but
    inside the extension is a normal start."""
    script = ctx.scratch / "child.sh"
    script.write_text(
        "#!/bin/sh\n"
        f'"{SVCWRAP}" notify EXTEND_TIMEOUT_USEC=4000000 || exit 9\n'
        "sleep 1.5\n"
        f'"{SVCWRAP}" notify READY=1 || exit 9\n'
        "exec sleep 60\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    path = ini(ctx, "", "ready = notify\nready_timeout = 1s",
               executable=script)
    w = ctx.wrapper(path)
    w.wait_log(r"wait-ready -> running: READY=1 from pid \d+ after 1[5-9]\d\dms",
               timeout=10)
    assert "no READY=1 within" not in w.log()
    assert "EXTEND_TIMEOUT_USEC: ready_timeout ends no sooner than 4000ms" in w.log()
    stop(w)


def test_watchdog_trigger_restarts(ctx):
    script = ctx.scratch / "child.sh"
    script.write_text(
        "#!/bin/sh\n"
        "sleep 0.3\n"
        f'"{SVCWRAP}" notify WATCHDOG=trigger || exit 9\n'
        "exec sleep 60\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    path = ini(ctx, "", "watchdog = 1min", executable=script,
               restart="burst = 0")
    w = ctx.wrapper(path)
    w.wait_log(r"running -> stopping: watchdog: the child sent "
               r"WATCHDOG=trigger", timeout=10)
    w.wait_log(r"started .*\(restart 1\)", timeout=10)
    stop(w)


def test_probe_starts_at_ready(ctx):
    """With ready = notify the probe waits for READY=1: a probe that always
    fails (a closed port, probe_failures = 1, every 100 ms) restarts
    nothing while the child takes 1.5 s to be ready, then restarts it as
    unhealthy once it is."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    log = ctx.scratch / "child.log"
    path = ini(ctx, f"-log {log} -notify-ready-after 1500",
               f"ready = notify\nready_timeout = 30s\n"
               f"probe = tcp://127.0.0.1:{port}\nprobe_interval = 100ms\n"
               f"probe_timeout = 1s\nprobe_failures = 1")
    w = ctx.wrapper(path)
    w.wait_log(r"wait-ready -> running: READY=1 from pid \d+", timeout=10)
    w.wait_log(r"probe \S+ failed", timeout=5)
    w.wait_log(r"unhealthy exit; policy \S+ restarts", timeout=10)
    text = w.log()
    assert (text.index("wait-ready -> running")
            < text.index(f"probe tcp://127.0.0.1:{port} failed")), text
    stop(w)


def test_watchdog_pid_is_the_childs_own(ctx):
    """With watchdog set the child finds WATCHDOG_PID equal to its own pid
    (as systemd sets it; libraries compare it with getpid()), and its
    argv[0] and arguments are its own: the pid is set by svcwrap's binary,
    which then execs the program in the same process."""
    out = ctx.scratch / "env.txt"
    script = ctx.scratch / "child.sh"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "pid=$$ wdpid=$WATCHDOG_PID usec=$WATCHDOG_USEC '
        f'args=$0|$1|$2" > "{out}"\n'
        "exec sleep 60\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    path = write_ini(ctx.scratch,
                     f"[service]\nname = wdpid\n\n[process]\n"
                     f"executable = {script}\narguments = one \"two 2\"\n\n"
                     f"[health]\nwatchdog = 30s\n")
    w = ctx.wrapper(path)
    wait_until(lambda: out.exists() and out.read_text().endswith("\n"), 10,
               "the child's report")
    m = re.match(r"pid=(\d+) wdpid=(\d+) usec=(\d+) args=(.*)$",
                 out.read_text().strip())
    assert m, out.read_text()
    assert m[1] == m[2], out.read_text()
    assert m[3] == "30000000"
    assert m[4] == f"{script}|one|two 2"
    child = int(w.wait_log(r"started .*, pid (\d+)")[1])
    assert child == int(m[1]), w.log()
    stop(w)


def test_no_watchdog_pid_without_watchdog(ctx):
    out = ctx.scratch / "env.txt"
    script = ctx.scratch / "child.sh"
    script.write_text("#!/bin/sh\n"
                      f'echo "wdpid=${{WATCHDOG_PID:-none}}" > "{out}"\n'
                      "exec sleep 60\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    path = write_ini(ctx.scratch,
                     f"[service]\nname = nowd\n\n[process]\n"
                     f"executable = {script}\n")
    w = ctx.wrapper(path)
    wait_until(lambda: out.exists() and out.read_text().endswith("\n"), 10,
               "the child's report")
    assert out.read_text().strip() == "wdpid=none"
    stop(w)


def test_watchdog_exec_failure_has_a_shells_code(ctx):
    """With watchdog set the program is exec'd by svcwrap's own binary; a
    missing one still ends with 127 (as a shell says), with the reason."""
    missing = ctx.scratch / "no-such-program"
    path = write_ini(ctx.scratch,
                     f"[service]\nname = wdmiss\n\n[process]\n"
                     f"executable = {missing}\n\n[health]\nwatchdog = 30s\n\n"
                     f"[restart]\npolicy = no\n")
    w = ctx.wrapper(path)
    assert w.wait(10) == 1, w.log()
    log = w.log()
    assert f"exec {missing}: No such file or directory" in log, log
    assert "service wdmiss failed (exit code 127)" in log, log
