# SPDX-License-Identifier: MIT
"""Fixtures for the Windows build under Wine, against Wine's real Service
Control Manager and sc.exe.

One Wine session per test run: a throwaway prefix in build/wineprefix, a
persistent wineserver (so every `wine sc ...` sees the same SCM), and
`wineserver -k` at the end even when tests fail. Wine's output always goes
to files: a pipe would be inherited by wineserver and never close.
"""
import os
import re
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"


def open_ancestor(path):
    """The first folder at or above path that every user may write (o+w,
    as /tmp is; Wine shows it as Everyone: full control), or None."""
    for p in [path, *path.parents]:
        if p.stat().st_mode & 0o002:
            return p
    return None


# `install` refuses to register a program from a folder others may change
# (what runs from it runs as SYSTEM). A checkout under such a folder (a
# clone in /tmp) makes every install refuse, rightly: there the tests that
# only need a service installed pass --force, and the tests of the audit's
# own success path are skipped with this reason.
OPEN_ANCESTOR = open_ancestor(ROOT)
INSTALL_FORCE = ["--force"] if OPEN_ANCESTOR else []
OPEN_ANCESTOR_REASON = (
    f"the checkout is under {OPEN_ANCESTOR}, which every user may change: "
    "install's audit refuses any install from here (as it should), so its "
    "success path cannot be shown; clone elsewhere to run it")
WIN = BUILD / "win"
PREFIX = BUILD / "wineprefix"
TMP = BUILD / "test-tmp" / "wine"
MULT = float(os.environ.get("SW_TEST_TIMEOUT_MULT", "5"))

ENV = dict(os.environ)
ENV.update({
    "LANG": "C.UTF-8",  # Wine's console output as UTF-8
    "WINEPREFIX": str(PREFIX),
    "WINEDEBUG": "-all",
    "WINEDLLOVERRIDES": "mscoree,mshtml=",
})


def winpath(p):
    """A Linux path as Wine sees it through drive Z:."""
    return "Z:" + str(Path(p).resolve()).replace("/", "\\")


def wine(args, timeout=60, check=False, out_dir=None, debug="-all"):
    """Run `wine args...`; returns (exit code, stdout, stderr). debug:
    WINEDEBUG for this process only."""
    out_dir = Path(out_dir or TMP)
    out_dir.mkdir(parents=True, exist_ok=True)
    tag = uuid.uuid4().hex[:8]
    o, e = out_dir / f"wine-{tag}.out", out_dir / f"wine-{tag}.err"
    with open(o, "wb") as fo, open(e, "wb") as fe:
        p = subprocess.run(["wine"] + [str(a) for a in args],
                           env=dict(ENV, WINEDEBUG=debug),
                           stdout=fo, stderr=fe, stdin=subprocess.DEVNULL,
                           timeout=timeout * MULT)
    out = o.read_bytes().decode("utf-8", "replace")
    err = e.read_bytes().decode("utf-8", "replace")
    o.unlink()
    e.unlink()
    if check and p.returncode != 0:
        raise AssertionError(f"wine {args}: exit {p.returncode}\n{out}\n{err}")
    return p.returncode, out, err


def wait_until(pred, timeout, what, interval=0.05):
    """Poll pred() until it is truthy; fail naming `what` at the deadline."""
    deadline = time.monotonic() + timeout * MULT
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout * MULT:.1f}s "
                                 f"waiting for {what}")
        time.sleep(interval)


# Wine 8's services.exe now and then cannot create a service's process:
# StartService fails with ERROR_INTERNAL_ERROR (1359), which Wine returns
# when the new process died in Wine's own start-up, before the server
# counted it as started (ntdll's NtCreateUserProcess: no success, no exit
# code), so before any code of the service's executable ran. Seen once in
# CI (cycle 16 of test_fifty_start_stop_cycles), never in hundreds of
# starts on the development machine. It is not svcwrap's behaviour: such a
# start is tried once more, and every retry is listed at the end of the run.
WINE_SPAWN_FAILED = re.compile(
    r"Internal error \(1359\)|failed to start service 1359\b")
wine_spawn_retries = []


def start_once_more_if_wine_failed(start, what):
    """start() -> (rc, out, err), retried once if Wine could not create
    the service's process."""
    rc, out, err = start()
    if rc != 0 and WINE_SPAWN_FAILED.search(out + err):
        wine_spawn_retries.append(f"{what}: {(out + err).strip()}")
        rc, out, err = start()
    return rc, out, err


def pytest_terminal_summary(terminalreporter):
    if wine_spawn_retries:
        terminalreporter.write_line(
            f"Wine could not create a service process {len(wine_spawn_retries)}"
            " time(s) (ERROR_INTERNAL_ERROR, before any svcwrap code ran);"
            " started once more:")
        for line in wine_spawn_retries:
            terminalreporter.write_line(f"  {line}")


class SCM:
    """The real sc.exe, one call per operation."""

    def query(self, name):
        """(state name, win32 exit code, service exit code) or None if the
        service does not exist."""
        rc, out, _ = wine(["sc", "query", name])
        m = re.search(r"STATE\s*:\s*\d+\s+(\w+)", out)
        if not m:
            return None
        w32 = re.search(r"WIN32_EXIT_CODE\s*:\s*(\d+)", out)
        svc = re.search(r"SERVICE_EXIT_CODE\s*:\s*(\d+)", out)
        return (m.group(1), int(w32.group(1)) if w32 else None,
                int(svc.group(1)) if svc else None)

    def state(self, name):
        q = self.query(name)
        return q[0] if q else None

    def wait_state(self, name, state, timeout=30):
        return wait_until(lambda: self.state(name) == state, timeout,
                          f"service {name} to be {state} (now "
                          f"{self.state(name)})", interval=0.2)

    def create(self, name, exe, ini):
        self.create_command(name, f'"{winpath(exe)}" run -c "{winpath(ini)}"')

    def create_command(self, name, binpath):
        rc, out, err = wine(["sc", "create", name, "binPath=", binpath])
        assert self.query(name) is not None, f"sc create failed: {out}{err}"

    def start(self, name):
        return start_once_more_if_wine_failed(
            # sc says why it failed only on its debug channel.
            lambda: wine(["sc", "start", name], debug="-all,err+sc"),
            f"sc start {name}")

    def stop(self, name):
        return wine(["sc", "stop", name])

    def delete(self, name):
        return wine(["sc", "delete", name])


def wine_version():
    """(major, minor) of the Wine in use."""
    out = subprocess.run(["wine", "--version"], env=ENV, capture_output=True,
                         text=True).stdout
    m = re.search(r"wine-(\d+)\.(\d+)", out)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def proc_info(pid):
    """(state letter, command line) of a Linux pid, or None if gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    text = cmd.replace(b"\0", b" ").decode("utf-8", "replace").rstrip()
    return stat.rsplit(")", 1)[1].split()[0], text


def describe_pids(pids):
    """One line per Linux pid: its state and command line (for failure
    messages)."""
    lines = []
    for pid in pids:
        info = proc_info(pid)
        lines.append(f"  {pid} [{info[0]}]: {info[1]}" if info
                     else f"  {pid}: gone")
    return "\n".join(lines)


def in_our_prefix(pid):
    """The process runs in this tree's Wine prefix (not another checkout's
    Wine, running tests at the same time on this machine)."""
    try:
        env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return False
    return f"WINEPREFIX={PREFIX}".encode() in env


def linux_pids(pattern):
    """Pids of live (non-zombie) Linux processes of our Wine prefix whose
    command line contains pattern: each Windows process under Wine is
    one."""
    pids = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        info = proc_info(d.name)
        if (info and pattern in info[1] and info[0] != "Z"
                and in_our_prefix(d.name)):
            pids.append(int(d.name))
    return pids


@pytest.fixture(scope="session")
def wine_session():
    for tool in ("wine", "wineserver", "wineboot"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed; run scripts/setup")
    for f in ("svcwrap.exe", "testchild.exe", "gochild.exe"):
        if not (WIN / f).exists():
            pytest.fail(f"build/win/{f} is missing; run make win children")
    if PREFIX.exists():
        subprocess.run(["wineserver", "-k"], env=ENV,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(PREFIX)
    TMP.mkdir(parents=True, exist_ok=True)
    PREFIX.mkdir(parents=True)
    with open(TMP / "wineboot.log", "wb") as log:
        subprocess.run(["wineboot", "-i"], env=ENV, stdout=log, stderr=log,
                       stdin=subprocess.DEVNULL, timeout=120 * MULT,
                       check=True)
    # wineboot leaves its own services.exe behind; with a persistent
    # server started after it, a second one appears and the two disagree
    # (sc create lands in one, sc query asks the other). So: stop
    # everything, then one persistent server, whose first `wine sc` starts
    # the one and only SCM.
    subprocess.run(["wineserver", "-k"], env=ENV)
    subprocess.run(["wineserver", "-w"], env=ENV, timeout=60 * MULT)
    subprocess.run(["wineserver", "-p"], env=ENV, check=True)
    # Wine runs winedbg for a crashing process and its report goes to the
    # process's stderr (the child's log); Windows' error reporting does
    # not write there. No debugger, as on a server.
    wine(["reg", "add", r"HKLM\Software\Microsoft\Windows NT\CurrentVersion"
          r"\AeDebug", "/v", "Debugger", "/d", "", "/f"])
    # No display here: Wine's null graphics driver lets windows exist
    # (wm-close tests) without X.
    wine(["reg", "add", r"HKCU\Software\Wine\Drivers", "/v", "Graphics",
          "/d", "null", "/f"])
    try:
        yield SCM()
    finally:
        subprocess.run(["wineserver", "-k"], env=ENV,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run(["wineserver", "-w"], env=ENV, timeout=30,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.fixture
def scratch(request):
    d = TMP / request.node.name
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    yield d
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.passed and not os.environ.get("SW_KEEP_TMP"):
        shutil.rmtree(d, ignore_errors=True)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


class Service:
    """One svcwrap service under the SCM, removed at the end of the test
    (stopped, deleted, its processes gone)."""

    def __init__(self, scm, scratch, name):
        self.scm, self.dir, self.name = scm, scratch, name
        self.ini = scratch / "svc.ini"
        self.exe = WIN / "svcwrap.exe"
        self.killed = False  # the wrapper was killed: the SCM never knows

    def write_ini(self, text):
        self.ini.write_text(text, encoding="utf-8")

    def write_child_ini(self, arguments, extra="", executable=None):
        """The INI of a service whose child is `executable` (testchild.exe
        by default) with `arguments`; `extra`: more sections."""
        exe = winpath(executable or WIN / "testchild.exe")
        self.write_ini(f"[service]\nname = {self.name}\n\n[process]\n"
                       f"executable = {exe}\narguments = {arguments}\n\n"
                       + extra)

    def install(self):
        self.scm.create(self.name, self.exe, self.ini)

    def log_text(self, name):
        p = self.dir / name
        return p.read_text("utf-8", "replace") if p.exists() else ""

    def wrapper_log(self):
        """The wrapper's own log (default [log] directory: logs)."""
        return self.log_text(f"logs/{self.name}.svcwrap.log")

    def svcwrap(self, *args, timeout=60, audit=False):
        """Run svcwrap.exe with -c this service's INI. install gets
        --force when the checkout is in a folder others may change, unless
        audit (a test of the audit itself)."""
        if args[:1] == ("install",) and not audit and "--force" not in args:
            args = ("install", *INSTALL_FORCE, *args[1:])

        def run():
            return wine([self.exe] + list(args) + ["-c", winpath(self.ini)],
                        timeout=timeout, out_dir=self.dir)
        if args[:1] == ("start",):
            return start_once_more_if_wine_failed(
                run, f"svcwrap start ({self.name})")
        return run()

    def status(self):
        import json
        rc, out, err = self.svcwrap("status", "--json")
        line = [l for l in out.splitlines() if l.startswith("{")]
        assert line, f"status --json printed no JSON (exit {rc}): {out}{err}"
        return rc, json.loads(line[-1])

    def cleanup(self):
        if self.scm.query(self.name) is not None:
            if self.scm.state(self.name) != "STOPPED" and not self.killed:
                # If it does not stop, the check for processes left
                # behind says so.
                rc, _, _ = self.scm.stop(self.name)
                if rc == 0:
                    try:
                        self.scm.wait_state(self.name, "STOPPED", 30)
                    except AssertionError:
                        pass
            self.scm.delete(self.name)


@pytest.fixture
def service(wine_session, scratch, request):
    name = "sw" + re.sub(r"[^A-Za-z0-9]", "", request.node.name)[-24:]
    svc = Service(wine_session, scratch, name)
    yield svc
    svc.cleanup()

    # Its processes: Wine's command lines carry the Windows paths.
    def left():
        return sorted(set(linux_pids(winpath(scratch))
                          + linux_pids(str(scratch)) + linux_pids(name)))
    try:
        # A stopped service's wrapper may take a moment to exit.
        wait_until(lambda: not left(), 10, "the test's processes to exit")
    except AssertionError:
        pids = left()
        described = describe_pids(pids)
        for pid in pids:
            try:
                os.kill(pid, 9)
            except OSError:
                pass
        raise AssertionError("processes left behind by the test (killed "
                             f"now):\n{described}") from None
