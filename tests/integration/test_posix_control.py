"""[control] on Linux: `svcwrap control CODE` through the wrapper's socket
reaches the (Go) child by signal, a requested restart is not counted by the
restart policy, SIGHUP runs the reload action when there is one, and codes
or actions that cannot work are refused with a reason."""
import signal

from conftest import GOCHILD, wait_pid_file, wait_until
from test_posix_supervisor import (TESTCHILD, Files, child_log, service_ini,
                                   wait_child_log)


def test_control_signal_reaches_go_child(ctx):
    f = Files(ctx.scratch)
    ini = service_ini(ctx, "ctlsig",
                      f"-log {f.log} -ready-file {f.ready} -control-signals",
                      """
                      [control]
                      129 = signal:SIGHUP
                      130 = signal:usr1
                      """, executable=GOCHILD)
    w = ctx.wrapper(ini)
    pid = wait_pid_file(f.ready)
    r = ctx.run_svcwrap(["control", "129", "-c", str(ini)])
    assert r.returncode == 0 and "control 129 done" in r.stdout, r.stdout + r.stderr
    wait_child_log(f.log, "signal hangup")
    r = ctx.run_svcwrap(["control", "130", "-c", str(ini)])
    assert r.returncode == 0, r.stderr
    wait_child_log(f.log, "signal user defined signal 1")
    w.wait_log(r"control 130: signal:SIGUSR1 done")
    # The child got signals, nothing else: the same process, still running.
    assert child_log(f.log).count("ready") == 1
    code, doc = ctx.status_json(str(ini))
    assert code == 0 and doc["pid"] == pid and doc["restarts"] == 0, doc
    # A code not in [control]: refused before anything is sent.
    r = ctx.run_svcwrap(["control", "131", "-c", str(ini)])
    assert r.returncode == 2 and "no such code in [control]" in r.stderr, r.stderr
    r = ctx.run_svcwrap(["control", "128", "-c", str(ini)])
    assert r.returncode == 2 and "is not a control code" in r.stderr, r.stderr
    w.signal(signal.SIGTERM)
    assert w.wait(10) == 0


def test_requested_restart_is_not_counted(ctx):
    """burst = 2: two policy restarts within a minute would give up; five
    requested restarts do not, and status counts them apart."""
    f = Files(ctx.scratch)
    ini = service_ini(ctx, "ctlrestart",
                      f"--log {f.log} --ready-file {f.ready} --sleep -1", """
                      [restart]
                      burst = 2
                      interval = 1min
                      [control]
                      200 = restart
                      """)
    w = ctx.wrapper(ini)
    pids = [wait_pid_file(f.ready)]
    for i in range(5):
        f.ready.unlink()
        r = ctx.run_svcwrap(["control", "200", "-c", str(ini)])
        assert r.returncode == 0, r.stderr
        pids.append(wait_pid_file(f.ready))
    assert len(set(pids)) == 6, pids
    # Each went through the ladder (SIGTERM), and none was a failure.
    assert child_log(f.log).count("sigterm") == 5
    code, doc = ctx.status_json(str(ini))
    assert code == 0 and doc["state"] == "running", doc
    assert doc["restarts"] == 0 and doc["requested_restarts"] == 5, doc
    assert doc["last_exit"]["class"] == "clean-stop", doc
    assert "giving up" not in w.log()
    w.signal(signal.SIGTERM)
    assert w.wait(10) == 0


def test_sighup_runs_reload(ctx):
    f = Files(ctx.scratch)
    marker = ctx.scratch / "reloaded"
    ini = service_ini(ctx, "ctlreload",
                      f"--log {f.log} --ready-file {f.ready} --sleep -1", f"""
                      [environment]
                      FROM_INI = yes
                      [control]
                      reload = exec:/bin/sh -c "env > {marker}.tmp && mv {marker}.tmp {marker}"
                      """)
    w = ctx.wrapper(ini)
    wait_pid_file(f.ready)
    w.signal(signal.SIGHUP)
    wait_until(marker.exists, 5, "the reload command to run")
    env = marker.read_text().splitlines()
    assert "SVCWRAP_CONTROL_CODE=reload" in env
    assert "SVCWRAP_SERVICE_NAME=ctlreload" in env
    assert "FROM_INI=yes" in env   # the child's environment, [environment] too
    w.wait_log(r"\[control\] reload: exec pid \d+ exited with code 0")
    assert w.running(), "SIGHUP with a reload action must not stop the service"
    # The same through the socket.
    marker.unlink()
    r = ctx.run_svcwrap(["control", "reload", "-c", str(ini)])
    assert r.returncode == 0, r.stderr
    wait_until(marker.exists, 5, "the reload command to run again")
    w.signal(signal.SIGTERM)
    assert w.wait(10) == 0


def test_control_refusals(ctx):
    f = Files(ctx.scratch)
    ini = service_ini(ctx, "ctlrefuse",
                      f"--log {f.log} --ready-file {f.ready} --sleep -1", """
                      [control]
                      129 = event:ctl-test
                      130 = exec:/nonexistent/command
                      """)
    # No wrapper yet: exit 3.
    r = ctx.run_svcwrap(["control", "129", "-c", str(ini)])
    assert r.returncode == 3 and "no running wrapper answers" in r.stderr, r.stderr
    w = ctx.wrapper(ini)
    wait_pid_file(f.ready)
    r = ctx.run_svcwrap(["control", "129", "-c", str(ini)])
    assert r.returncode == 1 and "named events exist on Windows only" in r.stderr, r.stderr
    r = ctx.run_svcwrap(["control", "130", "-c", str(ini)])
    assert r.returncode == 1 and "/nonexistent/command" in r.stderr, r.stderr
    assert w.running()
    w.signal(signal.SIGTERM)
    assert w.wait(10) == 0
