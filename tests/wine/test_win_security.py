# SPDX-License-Identifier: MIT
"""The Windows service surface against a local attacker, under Wine:
objects squatted before the service starts (the stop event, the control
pipe, the instance mutex), the descriptors svcwrap sets where Wine 8
implements the API. What Wine does not implement is listed in
docs/security.md and its descriptors are unit-tested as SDDL
(tests/unit/test_secdesc.c)."""
import re
import subprocess

import pytest

from conftest import (ENV, OPEN_ANCESTOR, OPEN_ANCESTOR_REASON, WIN,
                      wait_until, wine, wine_version, winpath)

CHILD = WIN / "testchild.exe"


class Squatter:
    """testchild.exe run as "another local user" would: it creates the
    named objects first, with default security, and holds them."""

    def __init__(self, scratch, *args):
        self.log = scratch / "squatter.log"
        ready = scratch / "squatter.ready"
        self.out = open(scratch / "squatter.out", "wb")
        self.proc = subprocess.Popen(
            ["wine", str(CHILD), "--log", winpath(self.log), "--ready-file",
             winpath(ready), "--sleep", "-1", "--ignore-stop"] + list(args),
            env=ENV, stdout=self.out, stderr=self.out,
            stdin=subprocess.DEVNULL)
        wait_until(ready.exists, 30, "the squatter's ready file")

    def text(self):
        return self.log.read_text("utf-8", "replace")

    def close(self):
        self.proc.kill()
        self.proc.wait(30)
        self.out.close()


@pytest.fixture
def squat(scratch):
    made = []

    def make(*args):
        s = Squatter(scratch, *args)
        made.append(s)
        return s
    yield make
    for s in made:
        s.close()


def event_ini(service, log, ready, extra=""):
    service.write_child_ini(
        f'--log "{winpath(log)}" --ready-file "{winpath(ready)}" --stop-event '
        "--on-stop-exit 0 --sleep -1 --print-env SVCWRAP_STOP_EVENT",
        "[stop]\nmethod = event, terminate\ntimeout = 30s\n" + extra)


def test_squatted_default_stop_event_is_not_used(service, squat):
    """An event created first under the old predictable default name
    neither blocks the start nor turns the stop into a kill: the default
    name has a random part for every run, and the child gets it."""
    s = squat("--squat-event", f"Global\\svcwrap-{service.name}-stop")
    assert "squat-event ok" in s.text(), s.text()
    ready, log = service.dir / "ready", service.dir / "child.log"
    event_ini(service, log, ready)
    service.install()
    service.scm.start(service.name)
    service.scm.wait_state(service.name, "RUNNING")
    wait_until(ready.exists, 30, "the child's ready file")
    out = (service.dir / "logs" / f"{service.name}.out.log").read_text()
    m = re.search(r"SVCWRAP_STOP_EVENT=(\S+)", out)
    assert m, out
    name = m.group(1)
    assert re.fullmatch(
        rf"(Global|Local)\\svcwrap-{service.name}-stop-[0-9a-f]{{32}}",
        name), name
    rc, _, _ = service.scm.stop(service.name)
    service.scm.wait_state(service.name, "STOPPED", 60)
    text = log.read_text()
    assert "event" in text.split() and "exit code=0" in text, text
    wlog = service.wrapper_log()
    assert "stop: sent event" in wlog, wlog
    assert "terminate" not in wlog.split("stop: sent event", 1)[1], wlog
    assert service.scm.query(service.name) == ("STOPPED", 0, 0)


def test_stop_event_name_is_new_every_run(service):
    """Two runs, two names: a name seen once cannot be squatted for the
    next run."""
    ready, log = service.dir / "ready", service.dir / "child.log"
    event_ini(service, log, ready)
    service.install()
    names = []
    for _ in range(2):
        ready.unlink(missing_ok=True)
        service.scm.start(service.name)
        service.scm.wait_state(service.name, "RUNNING")
        wait_until(ready.exists, 30, "the child's ready file")
        service.scm.stop(service.name)
        service.scm.wait_state(service.name, "STOPPED", 60)
    out = (service.dir / "logs" / f"{service.name}.out.log").read_text()
    names = re.findall(r"SVCWRAP_STOP_EVENT=(\S+)", out)
    assert len(names) == 2 and names[0] != names[1], out


def test_explicit_event_name_squatted_is_refused(service, squat):
    """An explicit event_name is the user's contract with the child: when
    someone else created it, svcwrap refuses it (logs why) and moves on to
    the next method instead of signalling an event others may hold."""
    s = squat("--squat-event", f"Global\\{service.name}-explicit")
    assert "squat-event ok" in s.text(), s.text()
    ready, log = service.dir / "ready", service.dir / "child.log"
    event_ini(service, log, ready,
              f"event_name = Global\\{service.name}-explicit\n")
    service.install()
    service.scm.start(service.name)
    service.scm.wait_state(service.name, "RUNNING")
    wait_until(ready.exists, 30, "the child's ready file")
    service.scm.stop(service.name)
    service.scm.wait_state(service.name, "STOPPED", 60)
    wlog = service.wrapper_log()
    assert re.search(r"stop event Global\\\S+-explicit: event \S+ already "
                     r"exists \(another process created it", wlog), wlog


def sleeper_ini(service, ready):
    service.write_child_ini(f'--ready-file "{winpath(ready)}" --sleep -1')


def start_with_squatted_pipe(service, squat):
    pipe = f"\\\\.\\pipe\\svcwrap-{service.name}"
    s = squat("--squat-pipe", pipe)
    assert "squat-pipe ok" in s.text(), s.text()
    ready = service.dir / "ready"
    sleeper_ini(service, ready)
    service.install()
    service.scm.start(service.name)
    service.scm.wait_state(service.name, "RUNNING")
    wait_until(ready.exists, 30, "the child's ready file")
    return s


def test_squatted_default_pipe_neither_blocks_start_nor_status(service,
                                                              squat):
    """A pipe created first under the endpoint's default name: the
    service starts anyway (on <name>-<pid>), and `status` and `rotate`
    find it by the service's pid, not fooled by the squatter."""
    start_with_squatted_pipe(service, squat)
    wlog = service.wrapper_log()
    assert re.search(r"status endpoint \S+ was created by another process .*"
                     r"listening on \S+-\d+ instead", wlog), wlog
    rc, doc = service.status()
    assert rc == 0 and "squatter" not in str(doc), doc
    assert doc.get("wrapper", doc).get("state") == "running", doc
    rc, out, err = service.svcwrap("rotate")
    assert rc == 0 and "logs rotated" in out, out + err


def test_status_client_allows_identification_only(service, squat):
    """The status client connects with SECURITY_IDENTIFICATION: a server
    that is not the service can learn who connected, never act as them."""
    s = start_with_squatted_pipe(service, squat)
    service.status()
    text = s.text()
    levels = [int(v) for v in re.findall(r"squat-client level=(\d)", text)]
    assert levels, text
    # SecurityIdentification is 1; SecurityImpersonation 2. Wine 8 passes
    # the client's SECURITY_QUALITY_OF_SERVICE to NtCreateFile, but its
    # server impersonates a pipe client at level 2 whatever was asked.
    if max(levels) > 1 and wine_version()[0] == 8:
        pytest.skip("Wine 8 ignores the client's impersonation level on "
                    f"named pipes (the squatter got levels {levels}); "
                    "docs/security.md lists it as unverified here")
    assert max(levels) <= 1, text


def print_sddl(what):
    rc, out, err = wine([CHILD, "--print-sddl", what])
    line = [l for l in out.splitlines() if l.startswith("sddl")]
    assert line, f"--print-sddl {what}: exit {rc}: {out}{err}"
    return rc, line[-1]


def test_install_refuses_writable_folder_then_force(service):
    """A folder others may modify (here: mode 0777, which Wine shows as
    Everyone: full control): install refuses, naming the path, the
    principal and the icacls fix; --force installs and says what it
    overrides."""
    ready = service.dir / "ready"
    sleeper_ini(service, ready)
    if OPEN_ANCESTOR:
        pytest.skip(OPEN_ANCESTOR_REASON)
    service.dir.chmod(0o777)
    try:
        rc, out, err = service.svcwrap("install", audit=True)
        assert rc == 1, out + err
        assert service.scm.query(service.name) is None
        assert re.search(r"install \S+: \S+ may be changed by Everyone "
                         r"\(S-1-1-0\) .*fix: icacls \"[^\"]+\" "
                         r"/inheritance:d && icacls \"[^\"]+\" "
                         r"/remove:g \*S-1-1-0", err), err
        assert winpath(service.dir) in err, err
        rc, out, err = service.svcwrap("install", "--force")
        assert rc == 0, out + err
        assert "--force: installing although" in err, err
        assert service.scm.query(service.name) is not None
    finally:
        service.dir.chmod(0o755)


def test_install_creates_protected_log_dir(service):
    """The log folder install creates is not open to others (Wine maps
    the protected DACL to mode 0750: no ACE for Everyone)."""
    ready = service.dir / "ready"
    sleeper_ini(service, ready)
    rc, out, err = service.svcwrap("install")
    assert rc == 0, out + err
    logs = service.dir / "logs"
    assert logs.is_dir()
    assert logs.stat().st_mode & 0o007 == 0, oct(logs.stat().st_mode)
    _, sddl = print_sddl(f"file:{winpath(logs)}")
    assert ";;;WD)" not in sddl and ";;;AU)" not in sddl \
        and ";;;BU)" not in sddl, sddl


def test_install_service_dacl(service):
    """install sets the service's DACL with SetServiceObjectSecurity; read
    back with QueryServiceObjectSecurity where the system keeps it."""
    sleeper_ini(service, service.dir / "ready")
    rc, out, err = service.svcwrap("install")
    assert rc == 0, out + err
    _, sddl = print_sddl(f"service:{service.name}")
    if sddl == "sddl D:" and wine_version()[0] == 8:
        pytest.skip("Wine 8's SetServiceObjectSecurity stores nothing and "
                    "QueryServiceObjectSecurity answers an empty DACL; the "
                    "descriptor is unit-tested as SDDL (sddl_service)")
    assert "(A;;CCLCSWRC;;;AU)" in sddl and ";;;IU)" not in sddl, sddl


def test_event_source_of_another_product_is_left_alone(service):
    """An Event Log source of the same name that svcwrap did not create is
    neither overwritten by install nor deleted by uninstall."""
    key = (r"HKLM\System\CurrentControlSet\Services\EventLog\Application"
           f"\\{service.name}")
    wine(["reg", "add", key, "/v", "EventMessageFile", "/d",
          r"C:\other\product.dll", "/f"], check=True)
    try:
        sleeper_ini(service, service.dir / "ready")
        rc, out, err = service.svcwrap("install")
        assert rc == 0, out + err
        assert "belongs to another product" in err, err
        _, q, _ = wine(["reg", "query", key])
        assert r"C:\other\product.dll" in q and "SvcwrapSource" not in q, q
        rc, out, err = service.svcwrap("uninstall")
        assert rc == 0, out + err
        rc, q, _ = wine(["reg", "query", key])
        assert r"C:\other\product.dll" in q, q
    finally:
        wine(["reg", "delete", key, "/f"])


def test_own_event_source_removed_by_uninstall(service):
    sleeper_ini(service, service.dir / "ready")
    key = (r"HKLM\System\CurrentControlSet\Services\EventLog\Application"
           f"\\{service.name}")
    rc, out, err = service.svcwrap("install")
    assert rc == 0, out + err
    _, q, _ = wine(["reg", "query", key])
    assert "SvcwrapSource" in q, q
    rc, out, err = service.svcwrap("uninstall")
    assert rc == 0, out + err
    _, q, _ = wine(["reg", "query", key])
    assert "SvcwrapSource" not in q, q


def test_pipe_and_event_dacls(service):
    """The running wrapper's pipe and stop event carry the descriptors of
    core/secdesc.c, as far as Wine's GetSecurityInfo reports them."""
    ready, log = service.dir / "ready", service.dir / "child.log"
    event_ini(service, log, ready)
    service.install()
    service.scm.start(service.name)
    service.scm.wait_state(service.name, "RUNNING")
    wait_until(ready.exists, 30, "the child's ready file")
    svc = service_sid(service.name)
    _, sddl = print_sddl(f"pipe:\\\\.\\pipe\\svcwrap-{service.name}")
    # Protected; full for SYSTEM, Administrators, the service SID and the
    # running user (Wine gives the service no service SID in its token);
    # the status (read) for Authenticated Users; nothing for Everyone.
    dacl = sddl.split("D:", 1)[1]
    assert re.fullmatch(rf"P\(A;;FA;;;SY\)\(A;;FA;;;BA\)\(A;;FA;;;{svc}\)"
                        r"(\(A;;FA;;;S-1-5-21-[0-9-]+\))?\(A;;FR;;;AU\)",
                        dacl), sddl
    out = (service.dir / "logs" / f"{service.name}.out.log").read_text()
    name = re.search(r"SVCWRAP_STOP_EVENT=(\S+)", out).group(1)
    _, sddl = print_sddl(f"event:{name}")
    dacl = sddl.split("D:", 1)[1]
    assert re.fullmatch(rf"P\(A;;0x1f0003;;;SY\)\(A;;0x1f0003;;;BA\)"
                        rf"\(A;;0x100000;;;{svc}\)"
                        r"(\(A;;0x100000;;;S-1-5-21-[0-9-]+\))?", dacl), sddl


def service_sid(name):
    """NT SERVICE\\<name>'s SID, as the SCM derives it."""
    import hashlib
    import struct
    d = hashlib.sha1(name.upper().encode("utf-16-le")).digest()
    return "S-1-5-80-" + "-".join(str(v) for v in struct.unpack("<5I", d))


def test_operators_group_is_looked_up_at_install(service):
    """install resolves [service] operators and refuses an unknown group
    (creating nothing); a known one is granted on the running pipe."""
    ready = service.dir / "ready"
    service.write_child_ini(f'--ready-file "{winpath(ready)}" --sleep -1')
    text = service.ini.read_text().replace(
        "[process]", "operators = NoSuchGroupHere\n\n[process]", 1)
    service.write_ini(text)
    rc, out, err = service.svcwrap("install")
    assert rc == 1 and "LookupAccountNameW(NoSuchGroupHere)" in err, out + err
    assert service.scm.query(service.name) is None
    service.write_ini(text.replace("NoSuchGroupHere", "Administrators"))
    rc, out, err = service.svcwrap("install")
    assert rc == 0, out + err
    service.scm.start(service.name)
    service.scm.wait_state(service.name, "RUNNING")
    wait_until(ready.exists, 30, "the child's ready file")
    _, sddl = print_sddl(f"pipe:\\\\.\\pipe\\svcwrap-{service.name}")
    assert "(A;;0x12008b;;;BA)" in sddl, sddl
