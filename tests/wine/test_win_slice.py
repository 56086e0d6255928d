# SPDX-License-Identifier: MIT
"""The first end-to-end slice: svcwrap.exe as a real service under Wine's
SCM, with the Go child, stopped gracefully with ctrl-c."""
from conftest import WIN, linux_pids, wait_until, winpath


def test_go_child_ctrl_c_stop(service):
    child_log = service.dir / "child.log"
    ready = service.dir / "ready"
    service.write_ini(f"""
[service]
name = {service.name}

[process]
executable = {winpath(WIN / 'gochild.exe')}
arguments = -log "{winpath(child_log)}" -ready-file "{winpath(ready)}"

[stop]
method = ctrl-c, terminate
timeout = 10s
""")
    service.install()
    assert service.scm.state(service.name) == "STOPPED"
    service.scm.start(service.name)
    service.scm.wait_state(service.name, "RUNNING")
    wait_until(ready.exists, 30, "the Go child's ready file")

    service.scm.stop(service.name)
    service.scm.wait_state(service.name, "STOPPED", 30)

    log = child_log.read_text()
    assert "interrupt" in log.split(), log      # the child saw os.Interrupt
    assert "exit code=0" in log, log            # and exited by itself
    state, w32, svc_code = service.scm.query(service.name)
    assert (state, w32, svc_code) == ("STOPPED", 0, 0)
    wait_until(lambda: not linux_pids("gochild.exe"), 10,
               "no gochild.exe process left")
    # The Event Log entries for the start and the stop were sent.
    wlog = service.wrapper_log()
    assert f"event log: Service {service.name} started " in wlog, wlog
    assert (f"event log: Service {service.name} stopped: child exited after "
            "the stop request.") in wlog, wlog
    assert not linux_pids(str(service.dir))
