# SPDX-License-Identifier: MIT
"""[hooks] under `svcwrap run` on Linux: the four hooks in order with
their environment and output, a failing or timed-out pre_start as a failed
start (restart policy applies, the child never starts), and a hook's tree
ended at its timeout (containment)."""
import signal

from conftest import pid_alive, scaled, wait_pid_file, wait_pid_gone, wait_until
from test_posix_supervisor import Files, child_log, service_ini


def script(ctx, name, body):
    """A /bin/sh script in the scratch folder; returns its path."""
    p = ctx.scratch / name
    p.write_text("set -e\n" + body + "\n")
    return p


def lines(path):
    try:
        return path.read_text().splitlines()
    except FileNotFoundError:
        return []


def test_hooks_in_order_with_environment(ctx):
    f = Files(ctx.scratch)
    order = ctx.scratch / "order.txt"
    hook = script(ctx, "hook.sh", f"""
ready=no; [ -e {f.ready} ] && ready=yes
echo "$SVCWRAP_HOOK name=$SVCWRAP_SERVICE_NAME extra=$HOOKTEST ready=$ready \
code=${{SVCWRAP_EXIT_CODE-none}} class=${{SVCWRAP_EXIT_CLASS-none}}" >> {order}
echo "output of $SVCWRAP_HOOK"
echo "to stderr" >&2
""")
    ini = service_ini(ctx, "hooked", f"--log {f.log} --ready-file {f.ready} --sleep -1", f"""
        [environment]
        HOOKTEST = from-ini
        [hooks]
        pre_start = /bin/sh {hook}
        post_start = /bin/sh {hook}
        pre_stop = /bin/sh {hook}
        post_stop = /bin/sh {hook}
        timeout = 10s
    """)
    w = ctx.wrapper(ini)
    wait_pid_file(f.ready)
    wait_until(lambda: len(lines(order)) >= 2, scaled(5), "post_start to run")
    w.signal(signal.SIGTERM)
    assert w.wait(15) == 0
    got = lines(order)
    assert [l.split()[0] for l in got] == ["pre_start", "post_start",
                                           "pre_stop", "post_stop"], got
    for l in got:
        assert "name=hooked" in l and "extra=from-ini" in l, l
    # pre_start before the child; pre_stop while it runs (post_start runs
    # right after the spawn, maybe before the child wrote its ready file).
    assert "ready=no" in got[0], got
    assert "ready=yes" in got[2], got
    assert got[0].endswith("code=none class=none"), got
    assert got[3].endswith("code=0 class=clean-stop"), got
    # pre_stop ran before the child got its SIGTERM.
    log = w.log()
    assert log.index("hook pre_stop: started") < log.index("stop: sent ctrl-break"), log
    # Output in the wrapper log, line by line, both streams.
    for h in ("pre_start", "post_start", "pre_stop", "post_stop"):
        w.wait_log(rf"hook {h} pid \d+: output of {h}$")
        w.wait_log(rf"hook {h} pid \d+: to stderr$")
        w.wait_log(rf"hook {h} pid \d+ succeeded after \d+ms")
    assert "sigterm" in child_log(f.log)


def test_post_stop_gets_the_exit_of_a_failed_child(ctx):
    f = Files(ctx.scratch)
    out = ctx.scratch / "post.txt"
    ini = service_ini(ctx, "poststop", f"--log {f.log} --exit 5", f"""
        [restart]
        policy = no
        [hooks]
        post_stop = /bin/sh -c "echo $SVCWRAP_EXIT_CODE $SVCWRAP_EXIT_CLASS > {out}"
    """)
    w = ctx.wrapper(ini)
    assert w.wait(10) == 1
    assert lines(out) == ["5 failure"]


def test_failing_pre_start_is_a_failed_start(ctx):
    """pre_start exits 3: no child; the restart policy retries it (a failed
    start, like a spawn failure) until the burst limit gives up, and the
    service fails with the hook's code."""
    f = Files(ctx.scratch)
    runs = ctx.scratch / "runs.txt"
    ini = service_ini(ctx, "prefail", f"--log {f.log} --ready-file {f.ready} --sleep -1", f"""
        [restart]
        policy = on-failure
        delay = 100ms
        max_delay = 100ms
        burst = 3
        interval = 1min
        [hooks]
        pre_start = /bin/sh -c "echo run >> {runs}; echo migration failed; exit 3"
    """)
    w = ctx.wrapper(ini)
    assert w.wait(15) == 1
    assert not f.ready.exists(), "the child started although pre_start failed"
    assert child_log(f.log) == []
    # burst = 3 counts start attempts: the start, 2 restarts, then give-up.
    assert len(lines(runs)) == 3, lines(runs)
    log = w.log()
    assert log.count("hook pre_start: started") == 3
    w.wait_log(r"hook pre_start pid \d+: migration failed")
    w.wait_log(r"hook pre_start pid \d+ failed: exit code 3")
    w.wait_log(r"pre-start -> backoff: failure exit; policy on-failure restarts")
    w.wait_log(r"pre-start -> failed: failure exit; giving up")
    w.wait_log(r"service prefail failed \(exit code 3\)")


def test_pre_start_timeout_ends_its_tree(ctx):
    """A pre_start that outlives [hooks] timeout is ended with everything
    it started (also what left its session), and counts as a failed start
    (code 124); policy no: the service fails."""
    f = Files(ctx.scratch)
    pids = ctx.scratch / "pids.txt"
    hook = script(ctx, "slow.sh", f"""
sleep 60 &
echo $! >> {pids}
setsid sleep 60 &
echo $! >> {pids}
echo $$ >> {pids}
echo started
sleep 60
""")
    ini = service_ini(ctx, "preslow", f"--log {f.log} --ready-file {f.ready} --sleep -1", f"""
        [restart]
        policy = no
        [hooks]
        pre_start = /bin/sh {hook}
        timeout = 1s
    """)
    w = ctx.wrapper(ini)
    wait_until(lambda: len(lines(pids)) == 3, scaled(5), "the hook's pids")
    hook_pids = [int(p) for p in lines(pids)]
    assert w.wait(15) == 1
    for p in hook_pids:
        wait_pid_gone(p, what=f"hook process {p}")
    assert not f.ready.exists()
    w.wait_log(r"hook pre_start pid \d+: still running after 1000ms")
    w.wait_log(r"service preslow failed \(exit code 124\)")
    assert not any(pid_alive(p) for p in hook_pids)


def test_stop_during_pre_start_waits_then_stops(ctx):
    """SIGTERM while pre_start runs: the hook finishes, the child never
    starts, the service stops cleanly."""
    f = Files(ctx.scratch)
    go = ctx.scratch / "go"
    started = ctx.scratch / "started"
    ini = service_ini(ctx, "prestop", f"--log {f.log} --ready-file {f.ready} --sleep -1", f"""
        [hooks]
        pre_start = /bin/sh -c "touch {started}; while [ ! -e {go} ]; do sleep 0.05; done; echo done"
    """)
    w = ctx.wrapper(ini)
    wait_until(started.exists, scaled(5), "pre_start to start")
    w.signal(signal.SIGTERM)
    w.wait_log(r"stop requested; waiting for pre_start")
    assert w.running()
    go.touch()
    assert w.wait(10) == 0
    assert not f.ready.exists()
    w.wait_log(r"hook pre_start pid \d+: done")
    w.wait_log(r"stop requested while pre_start ran")
