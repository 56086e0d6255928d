# SPDX-License-Identifier: MIT
"""Operator parity under Wine's SCM: [service] recovery as failure actions
and their flag, what Wine's SCM does after a give-up with recovery set,
[control] codes from the SCM (`sc control NAME 129`) and from `svcwrap
control` reaching the Go child by a named event, and accounts with a
password from standard input."""
import getpass
import re
import subprocess

from conftest import ENV, INSTALL_FORCE, MULT, WIN, wait_until, wine, winpath
from test_win_verbs import reg_values
from test_win_security import print_sddl, service_sid

CHILD = WIN / "testchild.exe"
GOCHILD = WIN / "gochild.exe"


def test_install_sets_failure_actions_and_flag(service):
    service.write_ini(f"""[service]
name = {service.name}
recovery = restart:10s, restart:1min, run:C:\\notify.cmd --failed, none
recovery_reset = 2h

[process]
executable = {winpath(CHILD)}
arguments = --sleep -1
""")
    rc, out, err = service.svcwrap("check")
    assert rc == 0, out + err
    assert ("recovery = restart:10000ms, restart:60000ms, "
            "run:C:\\notify.cmd --failed, none") in out, out
    assert "recovery_reset = 7200000ms" in out
    rc, out, err = service.svcwrap("install")
    assert rc == 0, out + err
    assert "recovery restart:10s, restart:1min" in out and "reset after 7200s" in out, out
    v = reg_values(service.name)
    # SERVICE_CONFIG_FAILURE_ACTIONS_FLAG: through the API on Windows; Wine 8
    # refuses the level, so install writes the SCM's value itself.
    assert int(v["FailureActionsOnNonCrashFailures"], 16) == 1, v
    if "(read back)" in out:
        return  # a real SCM kept the actions and said so
    # Wine 8's services.exe accepts SERVICE_CONFIG_FAILURE_ACTIONS without
    # keeping it (a FIXME in programs/services/rpc.c) and answers
    # ERROR_INVALID_LEVEL to QueryServiceConfig2W: install says so. The
    # structure passed is checked by tests/unit/test_config.c (recovery).
    assert "does not report failure actions back" in out, out
    print("Wine's SCM does not keep failure actions: " + out.strip())


def test_give_up_with_recovery_under_wine_scm(service):
    """A give-up ends the service failed (1066 + the child's code), the case
    Windows applies recovery to. Wine's SCM has no recovery at all
    (services.c never reads FailureActions): the service stays STOPPED."""
    log = service.dir / "child.log"
    service.write_ini(f"""[service]
name = {service.name}
recovery = restart:1s, none
recovery_reset = 1d

[process]
executable = {winpath(CHILD)}
arguments = --log "{winpath(log)}" --exit 3

[restart]
delay = 100ms
steps = 0
burst = 2
interval = 1min
""")
    service.install()
    service.scm.start(service.name)
    service.scm.wait_state(service.name, "STOPPED", 60)
    state, w32, code = service.scm.query(service.name)
    assert (w32, code) == (1066, 3), (state, w32, code)
    assert "giving up" in service.wrapper_log()
    starts = log.read_text().count("start pid=")
    assert starts == 2
    # Windows would start the service again 1 s after the failure; Wine's
    # SCM does not: after five times that, nothing started.
    try:
        wait_until(lambda: log.read_text().count("start pid=") > starts or
                   service.scm.state(service.name) != "STOPPED",
                   2 * MULT, "a restart by the SCM")
        restarted = True
    except AssertionError:
        restarted = False
    assert not restarted, "Wine's SCM applied a recovery action (new in this Wine?)"
    print("Wine's SCM applied no recovery action after the give-up "
          f"(exit 1066/{code}, {starts} starts by svcwrap only)")


def scm_control(service, code):
    """`sc control NAME CODE`; Wine 8's sc.exe has no control verb, so then
    testchild's ControlService. Returns (exit code, how it was sent)."""
    rc, out, err = wine(["sc", "control", service.name, str(code)],
                        out_dir=service.dir)
    if rc == 0:
        return 0, "sc control"
    # Wine 8's sc.exe has no control verb (exit 1, nothing delivered).
    rc2, _, _ = wine([CHILD, "--scm-control", service.name, str(code)],
                     out_dir=service.dir)
    return rc2, f"ControlService (Wine's sc control: exit {rc})"


def test_sc_control_129_reaches_go_child_by_event(service):
    ready = service.dir / "ready"
    log = service.dir / "child.log"
    service.write_child_ini(
        f'-log "{winpath(log)}" -ready-file "{winpath(ready)}" -control-events',
        f"""[stop]
method = ctrl-break, terminate

[control]
129 = event:{service.name}-reload
130 = restart
131 = signal:SIGHUP
reload = rotate
""", executable=GOCHILD)
    service.install()
    service.scm.start(service.name)
    wait_until(ready.exists, 30, "the Go child's ready file")
    text = log.read_text()
    m = re.search(r"control-event-open 129 (\S+)", text)
    assert m, text
    name = m.group(1)
    assert name in (f"Global\\{service.name}-reload",
                    f"Local\\{service.name}-reload"), name
    # The stop event's DACL: the service SID (or the console user) may
    # only wait; nobody else of the service's account may set it.
    _, sddl = print_sddl(f"event:{name}")
    dacl = sddl.split("D:", 1)[1]
    assert re.fullmatch(rf"P\(A;;0x1f0003;;;SY\)\(A;;0x1f0003;;;BA\)"
                        rf"\(A;;0x100000;;;{service_sid(service.name)}\)"
                        r"(\(A;;0x100000;;;S-1-5-21-[0-9-]+\))?", dacl), sddl
    rc, how = scm_control(service, 129)
    assert rc == 0, how
    wait_until(lambda: log.read_text().count(f"control-event 129 {name}") == 1,
               10 * MULT / 5, "the event in the child's log")
    # Auto-reset: each control wakes the child once more.
    rc, how = scm_control(service, 129)
    assert rc == 0, how
    wait_until(lambda: log.read_text().count(f"control-event 129 {name}") == 2,
               10 * MULT / 5, "the second event")
    # The same through the control pipe.
    rc, out, err = service.svcwrap("control", "129")
    assert rc == 0 and "control 129 done" in out, out + err
    wait_until(lambda: log.read_text().count(f"control-event 129 {name}") == 3,
               10 * MULT / 5, "the third event")
    # A code not in [control] is refused by the handler.
    rc, _ = scm_control(service, 140)
    # Windows passes the handler's ERROR_CALL_NOT_IMPLEMENTED back (1052);
    # Wine 8's ControlService answers 0 whatever the handler returned. Either
    # way nothing was done.
    assert rc in (1052, 0), rc
    wlog = service.wrapper_log()
    assert "control 140" not in wlog, wlog
    assert log.read_text().count("control-event 129 ") == 3
    assert "control 129 from the SCM" in wlog, wlog
    assert "control 129: event:" in wlog and "done" in wlog
    # A signal has no meaning on Windows: refused with the reason.
    rc, out, err = service.svcwrap("control", "131")
    assert rc == 1 and "Windows has no signals" in err, out + err
    # paramchange (6) runs the reload action: here, rotate.
    rc, _, _ = wine([CHILD, "--scm-control", service.name, "6"],
                    out_dir=service.dir)
    assert rc == 0, rc
    old = service.dir / "logs" / f"{service.name}.svcwrap.1.log"
    wait_until(old.exists, 10 * MULT / 5, "the reload action (rotate)")
    assert "control paramchange from the SCM: reload" in old.read_text()
    # 130: a requested restart; the service stays RUNNING, the policy does
    # not count it.
    pid = int(ready.read_text())
    ready.unlink()
    rc, out, err = service.svcwrap("control", "130")
    assert rc == 0, out + err
    wait_until(ready.exists, 30, "the restarted child's ready file")
    assert int(ready.read_text()) != pid
    assert service.scm.state(service.name) == "RUNNING"
    rc, doc = service.status()
    assert doc["requested_restarts"] == 1 and doc["restarts"] == 0, doc
    print(f"code 129 sent by {how}")


def install_with_stdin(service, stdin_text, *extra):
    inp = service.dir / "stdin.txt"
    inp.write_bytes(stdin_text.encode())
    o, e = service.dir / "inst.out", service.dir / "inst.err"
    with open(inp, "rb") as fi, open(o, "wb") as fo, open(e, "wb") as fe:
        p = subprocess.run(["wine", service.exe, "install", *INSTALL_FORCE,
                            *extra, "-c",
                            winpath(service.ini)], env=ENV, stdin=fi,
                           stdout=fo, stderr=fe, timeout=60 * MULT)
    return p.returncode, o.read_text("utf-8", "replace"), e.read_text(
        "utf-8", "replace")


def test_password_account(service):
    secret = "S3cret-Pa55word"
    service.write_ini(f"""[service]
name = {service.name}
account = .\\svcuser

[process]
executable = {winpath(CHILD)}
""")
    rc, out, err = service.svcwrap("check")
    assert rc == 0 and "a user account: install needs --password -" in out, out + err
    # Without --password: refused, nothing created.
    rc, out, err = install_with_stdin(service, secret + "\n")
    assert rc == 2 and "needs its password" in err, out + err
    assert service.scm.query(service.name) is None
    # An empty line is no password.
    rc, out, err = install_with_stdin(service, "\n", "--password", "-")
    assert rc == 2 and "no password on standard input" in err, out + err
    # With it: Wine has no local user svcuser, so the grant of "Log on as
    # a service" fails at the account lookup, with the OS's message, and
    # nothing is left behind; the password shows nowhere.
    rc, out, err = install_with_stdin(service, secret + "\r\n", "--password", "-")
    assert secret not in out + err + service.ini.read_text()
    if rc == 0:
        v = reg_values(service.name)
        assert v["ObjectName"] == ".\\svcuser"
        assert secret not in str(v)
        return
    assert rc == 1 and "look up account .\\svcuser" in err, out + err
    assert service.scm.query(service.name) is None
    print("Wine: " + err.strip())

    # The account Wine runs as exists: the lookup succeeds and the LSA is
    # asked for the right (Wine's LSA may refuse; then the OS's message).
    user = getpass.getuser()
    service.write_ini(service.ini.read_text().replace(".\\svcuser",
                                                      f".\\{user}"))
    rc, out, err = install_with_stdin(service, secret + "\n", "--password", "-")
    assert secret not in out + err
    if rc == 0:
        v = reg_values(service.name)
        assert v["ObjectName"] == f".\\{user}", v
        assert secret not in str(v)
        print(f"Wine: installed as .\\{user} (its LSA answered success to the grant)")
    else:
        assert "Log on as a service" in err or "look up account" in err, err
        assert service.scm.query(service.name) is None
        print("Wine (existing user): " + err.strip())


def test_virtual_and_gmsa_accounts_need_no_password(service):
    service.write_ini(f"""[service]
name = {service.name}
account = NT SERVICE\\{service.name}

[process]
executable = {winpath(CHILD)}
""")
    rc, out, err = install_with_stdin(service, "x\n", "--password", "-")
    assert rc == 2 and "has no password" in err, out + err
    rc, out, err = service.svcwrap("install")
    assert rc == 0, out + err
    assert reg_values(service.name)["ObjectName"] == f"NT SERVICE\\{service.name}"


def test_exec_control_under_the_scm(service):
    """exec: runs a command from the service (no console, no stdout of its
    own); its exit code is logged."""
    ready = service.dir / "ready"
    cmdlog = service.dir / "cmd.log"
    service.write_child_ini(
        f'--ready-file "{winpath(ready)}" --sleep -1',
        f"""[control]
131 = exec:"{winpath(CHILD)}" --log "{winpath(cmdlog)}" --exit 7
""")
    service.install()
    service.scm.start(service.name)
    wait_until(ready.exists, 30, "the child's ready file")
    rc, how = scm_control(service, 131)
    assert rc == 0, how
    wait_until(lambda: re.search(r"\[control\] 131: exec pid \d+ exited with "
                                 r"code 7", service.wrapper_log()),
               15 * MULT / 5, "the command's exit in the wrapper log")
    assert "exit code=7" in cmdlog.read_text()
    assert service.scm.state(service.name) == "RUNNING"
