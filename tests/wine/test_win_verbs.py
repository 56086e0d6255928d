# SPDX-License-Identifier: MIT
"""svcwrap.exe's own verbs under Wine's SCM (install with awkward paths,
refusals, status), the console (foreground) mode, WM_CLOSE, and leaks
over many cycles."""
import json
import os
import pty
import re
import select
import shutil
import time

from conftest import (ENV, INSTALL_FORCE, MULT, WIN, linux_pids, wait_until,
                      wine, winpath)

CHILD = WIN / "testchild.exe"


def reg_image_path(name):
    rc, out, _ = wine(["reg", "query",
                       rf"HKLM\System\CurrentControlSet\Services\{name}",
                       "/v", "ImagePath"])
    m = re.search(r"ImagePath\s+REG_\w+\s+(.*)", out)
    return m.group(1).strip() if m else None


def test_install_round_trip_awkward_paths(service):
    """Spaces and non-ASCII in both the exe's and the INI's path: the
    ImagePath is quoted, the service starts and stops, uninstall removes
    it (and its Event Log source)."""
    exe_dir = service.dir / "Program Files" / "svc é ü 日本"
    ini_dir = service.dir / "conf dir ø"
    exe_dir.mkdir(parents=True)
    ini_dir.mkdir()
    exe = exe_dir / "my svc.exe"
    shutil.copy(WIN / "svcwrap.exe", exe)
    ini = ini_dir / "my svc.ini"
    ready = service.dir / "ready"
    ini.write_text(f"""
[service]
name = {service.name}
display_name = Dienst für Tests
description = Ünïcödé description

[process]
executable = {winpath(CHILD)}
arguments = --ready-file "{winpath(ready)}" --sleep -1

[stop]
method = ctrl-c, terminate
""", encoding="utf-8")
    rc, out, err = wine([exe, "install", *INSTALL_FORCE, "-c", winpath(ini)],
                        out_dir=service.dir)
    assert rc == 0, out + err
    # reg.exe's output is converted to the console code page (non-ASCII
    # is lost there), so read the ImagePath back through svcwrap itself
    # (QueryServiceConfigW), and check its ASCII form with reg.exe too.
    rc, out, err = wine([exe, "status", "--json", "-c", winpath(ini)],
                        out_dir=service.dir)
    lines = [l for l in out.splitlines() if l.startswith("{")]
    assert lines, f"status --json printed no JSON (exit {rc}): {out}{err}"
    doc = json.loads(lines[-1])
    image = doc["service_manager"]["image_path"]
    assert image == f'"{winpath(exe)}" run -c "{winpath(ini)}"', image
    assert reg_image_path(service.name).startswith(f'"{winpath(service.dir)}')
    rc, out, _ = wine(["reg", "query", r"HKLM\System\CurrentControlSet"
                       rf"\Services\EventLog\Application\{service.name}"])
    assert "EventMessageFile" in out and "TypesSupported" in out, out
    rc, out, err = wine([exe, "start", "-c", winpath(ini)], out_dir=service.dir)
    assert rc == 0 and f"service {service.name}: running" in out, out + err
    wait_until(ready.exists, 30, "the child's ready file")
    rc, out, err = wine([exe, "status", "-c", winpath(ini)], out_dir=service.dir)
    assert rc == 0 and "service manager says running" in out, out + err
    rc, out, err = wine([exe, "uninstall", "-c", winpath(ini)],
                        out_dir=service.dir)
    assert rc == 0 and f"uninstalled service {service.name}" in out, out + err
    assert service.scm.query(service.name) is None
    rc, out, _ = wine(["reg", "query", r"HKLM\System\CurrentControlSet"
                       rf"\Services\EventLog\Application\{service.name}"])
    assert "EventMessageFile" not in out
    wait_until(lambda: not linux_pids("testchild.exe"), 10, "the child gone")
    rc, out, err = wine([exe, "status", "-c", winpath(ini)], out_dir=service.dir)
    assert rc == 4 and "is not installed" in out, (rc, out, err)


def test_install_twice_fails_clearly(service):
    service.write_ini(f"""
[service]
name = {service.name}
[process]
executable = {winpath(CHILD)}
""")
    rc, out, err = service.svcwrap("install")
    assert rc == 0, out + err
    rc, out, err = service.svcwrap("install")
    assert rc == 1
    assert (f"svcwrap: install {service.name}: service {service.name} already "
            "exists; `svcwrap uninstall` it first") in err, err


def test_install_broken_ini_creates_nothing(service):
    service.write_ini(f"""
[service]
name = {service.name}
[process]
executable = {winpath(CHILD)}
[restart]
delay = soon
""")
    rc, out, err = service.svcwrap("install")
    assert rc == 2, (rc, out, err)
    assert re.search(r"svc\.ini:7: error: \[restart\] delay: \"soon\" is not "
                     r"a duration", err), err
    assert service.scm.query(service.name) is None
    assert reg_image_path(service.name) is None


def test_status_json_and_exit_codes(service):
    ready = service.dir / "ready"
    service.write_child_ini(
        f'--ready-file "{winpath(ready)}" --sleep -1',
        """[stop]
method = ctrl-c, terminate
""")
    rc, doc = service.status()
    assert rc == 4 and doc["service_manager"] == {"installed": False}
    service.install()
    rc, doc = service.status()
    assert rc == 3 and doc["state"] == "stopped" and not doc["wrapper_running"]
    service.svcwrap("start")
    wait_until(ready.exists, 30, "the child's ready file")
    rc, doc = service.status()
    assert rc == 0, doc
    assert doc["state"] == "running" and doc["wrapper_running"]
    assert doc["pid"] > 0 and doc["restarts"] == 0 and doc["handles"] > 0
    assert doc["service_manager"]["state"] == "running"
    assert doc["service_manager"]["pid"] == doc["wrapper_pid"]
    rc, out, err = service.svcwrap("stop")
    assert rc == 0 and "stopped" in out


def test_wm_close(service):
    """wm-close reaches a child's top-level window (Wine's null driver)."""
    ready = service.dir / "ready"
    log = service.dir / "child.log"
    service.write_child_ini(
        f'--log "{winpath(log)}" --ready-file "{winpath(ready)}" --window --on-stop-exit 0 --sleep -1',
        """[stop]
method = wm-close, terminate
timeout = 10s
""")
    service.install()
    service.scm.start(service.name)
    wait_until(ready.exists, 30, "the child's ready file")
    service.scm.stop(service.name)
    service.scm.wait_state(service.name, "STOPPED")
    text = log.read_text()
    assert "wm-close" in text.split() and "exit code=0" in text, text
    assert "stop: sent wm-close" in service.wrapper_log()
    assert service.scm.query(service.name) == ("STOPPED", 0, 0)


def test_wm_close_without_window_moves_on(service):
    ready = service.dir / "ready"
    service.write_child_ini(
        f'--ready-file "{winpath(ready)}" --ignore-stop --sleep -1',
        """[stop]
method = wm-close, terminate
timeout = 20s
""")
    service.install()
    service.scm.start(service.name)
    wait_until(ready.exists, 30, "the child's ready file")
    t0 = time.monotonic()
    service.scm.stop(service.name)
    service.scm.wait_state(service.name, "STOPPED")
    assert time.monotonic() - t0 < 10, "waited for the grace of an undeliverable step"
    assert "stop: wm-close could not be delivered: no window to close" in \
        service.wrapper_log()


def run_in_console(service, ini, stop_after):
    """`svcwrap run` in the foreground of a pseudo-terminal; `stop_after`
    (a callable) decides when to type Ctrl+C. Returns (exit status, output)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe("wine", ["wine", str(service.exe), "run", "-c",
                            winpath(ini)], ENV)
    out = b""
    try:
        wait_until(stop_after, 30, "the child to be ready")
        os.write(fd, b"\x03")
        deadline = time.monotonic() + 20 * MULT
        reading = True
        while time.monotonic() < deadline:
            if reading and select.select([fd], [], [], 0.1)[0]:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:  # EIO: the terminal's other side closed
                    chunk = b""
                reading = bool(chunk)
                out += chunk
            elif not reading:
                time.sleep(0.05)
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status), out
        raise AssertionError("svcwrap run did not end after Ctrl+C")
    finally:
        os.close(fd)


def test_console_mode_ctrl_c(service):
    """From a console, Ctrl+C runs the same ladder as an SCM stop. The
    child has its own process group (ladder: event), so the terminal's
    Ctrl+C reaches only the wrapper, which stops the child."""
    ready = service.dir / "ready"
    log = service.dir / "child.log"
    service.write_child_ini(
        f'--log "{winpath(log)}" --ready-file "{winpath(ready)}" --stop-event --on-stop-exit 0 --sleep -1',
        """[stop]
method = event, terminate
""")
    status, _ = run_in_console(service, service.ini, ready.exists)
    assert status == 0
    wlog = service.wrapper_log()
    assert "stop requested from the console" in wlog, wlog
    assert "stop: sent event" in wlog
    text = log.read_text()
    assert "event" in text.split() and "ctrl-c" not in text, text


def test_fifty_start_stop_cycles(service):
    ready = service.dir / "ready"
    service.write_child_ini(
        f'--ready-file "{winpath(ready)}" --sleep -1',
        """[stop]
method = ctrl-c, terminate
""")
    service.install()
    for i in range(50):
        rc, out, err = service.svcwrap("start")
        assert rc == 0 and "running" in out, f"cycle {i}: {out}{err}"
        rc, out, err = service.svcwrap("stop")
        assert rc == 0 and "stopped" in out, f"cycle {i}: {out}{err}"
    assert service.scm.query(service.name) == ("STOPPED", 0, 0)
    assert service.wrapper_log().count("service start") == 50


def test_handles_do_not_grow_over_fifty_restarts(service):
    """One wrapper, fifty child runs: its handle count stays flat."""
    log = service.dir / "child.log"
    service.write_child_ini(
        f'--log "{winpath(log)}" --sleep 30 --lines 20',
        """[restart]
policy = always
delay = 0
steps = 0
burst = 0
""")
    service.install()
    service.scm.start(service.name)

    def restarts():
        rc, doc = service.status()
        return doc.get("restarts", 0), doc.get("handles", -1)
    wait_until(lambda: restarts()[0] >= 5, 60, "5 restarts")
    _, early = restarts()
    wait_until(lambda: restarts()[0] >= 50, 120, "50 restarts")
    _, late = restarts()
    assert early > 0 and late <= early + 2, (early, late)


def test_stop_accepted_while_child_restarts(service):
    """A child restarting every few ms: to the SCM the service stays
    RUNNING (never START_PENDING again, in which the SCM refuses `sc stop`)
    and every stop is accepted."""
    service.write_child_ini("--sleep 10", """[restart]
policy = always
delay = 0
steps = 0
burst = 0
""")
    service.install()
    for cycle in range(3):
        rc, out, err = service.svcwrap("start")
        assert rc == 0 and "running" in out, f"cycle {cycle}: {out}{err}"
        states = [service.scm.state(service.name) for _ in range(15)]
        assert set(states) == {"RUNNING"}, f"cycle {cycle}: {states}"
        rc, out, err = service.scm.stop(service.name)
        assert rc == 0, f"cycle {cycle}: sc stop: exit {rc} {out}{err}"
        service.scm.wait_state(service.name, "STOPPED", 30)
    assert service.wrapper_log().count("backoff -> starting") > 20


def test_stop_waits_for_a_start_in_progress(service):
    """The SCM refuses STOP while a service is START_PENDING: `svcwrap
    stop` waits for the start to end and then stops it (it used to wait
    for a STOPPED that never came). The service here is testchild.exe
    itself, START_PENDING for 5 s."""
    log = service.dir / "svc.log"
    service.write_child_ini("--sleep -1")  # only [service] name is used
    binpath = f'"{winpath(CHILD)}" --slow-service 5000 --log "{winpath(log)}"'
    service.scm.create_command(service.name, binpath)
    service.scm.start(service.name)
    assert service.scm.state(service.name) == "START_PENDING"
    rc, out, err = service.svcwrap("stop")
    assert rc == 0 and "stopped" in out, f"exit {rc}: {out}{err}"
    assert service.scm.state(service.name) == "STOPPED"
    events = log.read_text().split("\n")
    assert events.index("running") < events.index("scm-control 1"), events


def reg_values(name):
    rc, out, _ = wine(["reg", "query",
                       rf"HKLM\System\CurrentControlSet\Services\{name}"])
    vals = {}
    for m in re.finditer(r"^\s+(\w+)\s+(REG_\w+)\s*(.*)$", out, re.M):
        vals[m.group(1)] = m.group(3).strip()
    return vals


def test_install_settings(service):
    """What install registers, read back from the registry."""
    service.write_ini(f"""
[service]
name = {service.name}
display_name = Settings Test
description = Checks what install writes.
start_type = delayed-auto
depends_on = Tcpip, Dnscache
account = NT AUTHORITY\\LocalService

[process]
executable = {winpath(CHILD)}

[stop]
method = ctrl-c, event, terminate
timeout = 20s
""")
    rc, out, err = service.svcwrap("install")
    assert rc == 0, out + err
    v = reg_values(service.name)
    assert v["DisplayName"] == "Settings Test"
    assert v["Description"] == "Checks what install writes."
    assert int(v["Start"], 16) == 2                      # SERVICE_AUTO_START
    assert int(v["DelayedAutostart"], 16) == 1
    assert v["DependOnService"].split("\\0")[:2] == ["Tcpip", "Dnscache"]
    assert v["ObjectName"] == "NT AUTHORITY\\LocalService"
    # Two graceful steps of 20 s, 5 s for terminate, 5 s of margin.
    assert int(v["PreshutdownTimeout"], 16) == 2 * 20000 + 5000 + 5000
