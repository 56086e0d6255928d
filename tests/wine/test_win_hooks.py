# SPDX-License-Identifier: MIT
"""[hooks] under Wine's SCM: the four hooks in order with their
environment (SVCWRAP_SERVICE_NAME, SVCWRAP_HOOK, [environment], and
post_stop's SVCWRAP_EXIT_CODE / SVCWRAP_EXIT_CLASS), their output in the
wrapper log; a failing pre_start is a failed start: the restart policy
retries it, the child never starts, the service fails with its code."""
import re

from conftest import WIN, wait_until, winpath

CHILD = WIN / "testchild.exe"
ERROR_SERVICE_SPECIFIC_ERROR = 1066


def hook(*args):
    return f'"{winpath(CHILD)}" ' + " ".join(args)


def env_args(*names):
    return " ".join(f"--print-env {n}" for n in names)


def test_hooks_in_order_with_environment(service):
    ready = service.dir / "ready"
    log = service.dir / "child.log"
    common = env_args("SVCWRAP_HOOK", "SVCWRAP_SERVICE_NAME", "HOOKVAR",
                      "SVCWRAP_EXIT_CODE")
    service.write_child_ini(
        f'--log "{winpath(log)}" --ready-file "{winpath(ready)}" --sleep -1',
        "[environment]\nHOOKVAR = from-ini\n\n"
        "[stop]\nmethod = ctrl-c, terminate\ntimeout = 10s\n\n"
        "[hooks]\n"
        f"pre_start = {hook(common)}\n"
        f"post_start = {hook(common)}\n"
        f"pre_stop = {hook(common)}\n"
        f"post_stop = {hook(common, env_args('SVCWRAP_EXIT_CLASS'))}\n"
        "timeout = 30s\n")
    service.install()
    service.scm.start(service.name)
    service.scm.wait_state(service.name, "RUNNING")
    wait_until(ready.exists, 30, "the child's ready file")
    wait_until(lambda: "hook post_start pid" in service.wrapper_log()
               and "succeeded" in service.wrapper_log().split("hook post_start: started")[-1],
               30, "post_start to end")
    service.scm.stop(service.name)
    service.scm.wait_state(service.name, "STOPPED", timeout=60)
    assert service.scm.query(service.name) == ("STOPPED", 0, 0)
    wlog = service.wrapper_log()
    started = re.findall(r"hook (\w+): started ", wlog)
    assert started == ["pre_start", "post_start", "pre_stop", "post_stop"], wlog
    for h in started:
        for line in (f"SVCWRAP_HOOK={h}", f"SVCWRAP_SERVICE_NAME={service.name}",
                     "HOOKVAR=from-ini"):
            assert re.search(rf"hook {h} pid \d+: {line}\r?$", wlog, re.M), (h, line, wlog)
        assert re.search(rf"hook {h} pid \d+ succeeded after \d+ms", wlog), wlog
    # The child started after pre_start ended, and was stopped after pre_stop.
    child = re.search(r"info: started .*\(restart 0\)", wlog)
    assert child, wlog
    assert wlog.index("hook pre_start pid") < child.start()
    assert wlog.index("hook pre_stop: started") < wlog.index("stop: sent ctrl-c")
    assert re.search(r"hook post_stop pid \d+: SVCWRAP_EXIT_CLASS=clean-stop", wlog), wlog
    assert re.search(r"hook post_stop pid \d+: SVCWRAP_EXIT_CODE=\d+\r?$", wlog, re.M), wlog
    assert re.search(r"hook pre_start pid \d+: SVCWRAP_EXIT_CODE unset", wlog), wlog


def test_failing_pre_start_is_a_failed_start(service):
    ready = service.dir / "ready"
    service.write_child_ini(
        f'--ready-file "{winpath(ready)}" --sleep -1',
        "[restart]\npolicy = on-failure\ndelay = 100ms\nmax_delay = 100ms\n"
        "burst = 2\ninterval = 1min\n\n"
        "[hooks]\n"
        f"pre_start = {hook('--print-env SVCWRAP_HOOK', '--exit 3')}\n")
    service.install()
    service.scm.start(service.name)
    service.scm.wait_state(service.name, "STOPPED", timeout=60)
    assert service.scm.query(service.name) == (
        "STOPPED", ERROR_SERVICE_SPECIFIC_ERROR, 3)
    assert not ready.exists(), "the child started although pre_start failed"
    wlog = service.wrapper_log()
    assert len(re.findall(r"hook pre_start: started ", wlog)) == 2, wlog
    assert re.search(r"hook pre_start pid \d+ failed: exit code 3", wlog), wlog
    assert "pre-start -> backoff: failure exit; policy on-failure restarts" in wlog
    assert "pre-start -> failed: failure exit; giving up" in wlog
    assert not re.search(r"info: started .*\(restart \d+\)", wlog)  # the child
