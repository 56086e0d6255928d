# SPDX-License-Identifier: MIT
"""Fixtures and helpers for svcwrap's native integration tests.

Rules: every wait has a deadline scaled by
SW_TEST_TIMEOUT_MULT; nothing synchronises by sleeping (a short sleep inside
a polling loop is fine); each test has its own scratch folder
build/test-tmp/<test>/, removed when the test passes and kept when it fails;
and no test leaves a process behind: the teardown finds every process the
test started (they all carry SW_TEST_TAG=<tag> in their environment), kills
what is left and fails the test if it had to.

SVCWRAP_BIN overrides the binary under test (default: the ASan+UBSan build).
"""
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from datetime import datetime
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD = REPO / "build"
SVCWRAP = Path(os.environ.get("SVCWRAP_BIN") or BUILD / "posix-san" / "svcwrap").resolve()
TESTCHILD = BUILD / "posix" / "testchild"
GOCHILD = BUILD / "posix" / "gochild"
CORPUS = REPO / "tests" / "data" / "config"
TEST_TMP = BUILD / "test-tmp"

TIMEOUT_MULT = float(os.environ.get("SW_TEST_TIMEOUT_MULT") or "1")
POLL_S = 0.02

# What a sanitizer report looks like on stderr. Any of these fails a test.
SANITIZER_RE = re.compile(
    r"ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|"
    r"UndefinedBehaviorSanitizer|AddressSanitizer:DEADLYSIGNAL")

# "2026-11-27T22:29:31.266+00:00 svcwrap[11853]: info: text"
LOG_LINE_RE = re.compile(
    r"^(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d))"
    r" svcwrap\[(?P<pid>\d+)\]: (?P<level>\w+): (?P<text>.*)$")


def scaled(seconds):
    """A deadline, scaled by SW_TEST_TIMEOUT_MULT."""
    return seconds * TIMEOUT_MULT


def wait_until(predicate, timeout, what):
    """Poll predicate every 20 ms until it returns something truthy, and
    return that. After timeout seconds (scaled), fail naming `what`."""
    limit = scaled(timeout)
    end = time.monotonic() + limit
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= end:
            raise AssertionError(f"timed out after {limit:.2f}s waiting for {what}")
        time.sleep(POLL_S)


# ---- processes -----------------------------------------------------------

def proc_state(pid):
    """The state letter of pid from /proc/<pid>/stat, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode("ascii", "replace")
    except (FileNotFoundError, ProcessLookupError):
        return None
    except OSError:
        return None
    # The command name is in parentheses and may contain anything.
    rest = stat[stat.rfind(")") + 2:]
    return rest[:1] or None


def pid_alive(pid):
    """True while pid exists and is not a zombie. A zombie counts as gone:
    it has exited, and this sandbox's init reaps orphans slowly."""
    return proc_state(int(pid)) not in (None, "Z", "X", "x")


def wait_pid_gone(pid, timeout=3.0, what=None):
    wait_until(lambda: not pid_alive(pid), timeout,
               what or f"pid {pid} to be gone")


def read_pid_file(path):
    return int(Path(path).read_text().strip())


def wait_pid_file(path, timeout=5.0):
    """Wait until a child wrote its (atomic) pid file; return the pid."""
    path = Path(path)

    def ready():
        try:
            text = path.read_text().strip()
        except FileNotFoundError:
            return None
        return int(text) if text else None

    return wait_until(ready, timeout, f"pid file {path}")


def tagged_pids(tag):
    """Pids of live (non-zombie) processes whose environment carries
    SW_TEST_TAG=<tag>: everything a test started, however deep."""
    needle = f"SW_TEST_TAG={tag}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        pid = int(entry)
        if pid == os.getpid():
            continue
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                env = f.read()
        except OSError:
            continue
        if needle in env.split(b"\0") and pid_alive(pid):
            found.append(pid)
    return found


def check_sanitizer(text, what):
    m = SANITIZER_RE.search(text)
    if m:
        start = max(0, m.start() - 200)
        raise AssertionError(f"sanitizer report in {what}:\n{text[start:start + 3000]}")


# ---- files ---------------------------------------------------------------

class FifoReader:
    """Reads a FIFO to its end in a thread (a log "disk" that starts taking
    data only when the test says so): .data is what arrived; join() waits
    for the writer to close it."""

    def __init__(self, path):
        import threading

        self.data = bytearray()
        self._thread = threading.Thread(target=self._run, args=(path,),
                                        daemon=True)
        self._thread.start()

    def _run(self, path):
        with open(path, "rb") as f:
            while True:
                b = f.read(1 << 16)
                if not b:
                    return
                self.data.extend(b)

    def join(self, timeout):
        """True once the writer closed the FIFO (the reader ended)."""
        self._thread.join(scaled(timeout))
        return not self._thread.is_alive()


def write_ini(directory, text, name="svc.ini"):
    """Write an INI (dedented) into directory; return its absolute path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def parse_log_time(ts):
    """An ISO-8601 time from the wrapper log as a POSIX timestamp (s)."""
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()


def parse_log(text):
    """The wrapper log as a list of (time_s, pid, level, text)."""
    out = []
    for line in text.splitlines():
        m = LOG_LINE_RE.match(line)
        if m:
            out.append((parse_log_time(m["ts"]), int(m["pid"]), m["level"], m["text"]))
    return out


# ---- the per-test context ------------------------------------------------

class Context:
    """Everything one test owns: its scratch folder, its tag, the processes
    it started."""

    def __init__(self, name, scratch, tag):
        self.name = name
        self.scratch = scratch
        self.tag = tag
        self.wrappers = []
        self._seq = itertools.count(1)

    def env(self, extra=None, remove=()):
        env = dict(os.environ)
        for k in remove:
            env.pop(k, None)
        # Sanitizer reports must be visible and fatal.
        env.setdefault("ASAN_OPTIONS", "abort_on_error=0:detect_leaks=1")
        env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
        env["SW_TEST_TAG"] = self.tag
        if extra:
            env.update(extra)
        return env

    def run_svcwrap(self, args, timeout=10.0, env=None, cwd=None, check_san=True):
        """Run svcwrap to completion with a (scaled) timeout. Output goes to
        files in the scratch folder, never to undrained pipes. Returns a
        CompletedProcess with text stdout/stderr."""
        n = next(self._seq)
        out_path = self.scratch / f"cmd{n}.stdout"
        err_path = self.scratch / f"cmd{n}.stderr"
        argv = [str(SVCWRAP)] + [str(a) for a in args]
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=err, env=env or self.env(),
                                    cwd=str(cwd or self.scratch),
                                    start_new_session=True)
            try:
                rc = proc.wait(timeout=scaled(timeout))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                raise AssertionError(
                    f"svcwrap {' '.join(map(str, args))} did not finish within "
                    f"{scaled(timeout):.1f}s; stderr: {err_path.read_text(errors='replace')}")
        stdout = out_path.read_bytes().decode("utf-8", "replace")
        stderr = err_path.read_bytes().decode("utf-8", "replace")
        if check_san:
            check_sanitizer(stderr, f"svcwrap {' '.join(map(str, args))}")
        return subprocess.CompletedProcess(argv, rc, stdout, stderr)

    def status_json(self, ini, timeout=10.0):
        """`svcwrap status --json -c ini` -> (exit code, parsed document)."""
        r = self.run_svcwrap(["status", "--json", "-c", ini], timeout=timeout)
        lines = [l for l in r.stdout.splitlines() if l.strip()]
        assert lines, f"status --json printed nothing; stderr: {r.stderr}"
        return r.returncode, json.loads(lines[-1])

    def wrapper(self, ini, env=None, cwd=None, name=None, prefix=(), pass_fds=()):
        w = Wrapper(self, ini, env=env, cwd=cwd,
                    name=name or f"wrapper{len(self.wrappers) + 1}",
                    prefix=prefix, pass_fds=pass_fds)
        self.wrappers.append(w)
        return w


class Wrapper:
    """`svcwrap run -c INI` in the background. stdout (the child's output)
    and stderr (the wrapper's log) go to files in the scratch folder.
    prefix: a command that runs svcwrap (e.g. unshare), then pid is that
    command's; pass_fds: descriptors svcwrap inherits beyond 0-2."""

    def __init__(self, ctx, ini, env=None, cwd=None, name="wrapper", prefix=(),
                 pass_fds=()):
        self.ctx = ctx
        self.ini = Path(ini)
        self.name = name
        self.out_path = ctx.scratch / f"{name}.stdout"
        self.err_path = ctx.scratch / f"{name}.stderr"
        self._out = open(self.out_path, "wb")
        self._err = open(self.err_path, "wb")
        self.started_at = time.monotonic()
        self.proc = subprocess.Popen(
            [str(a) for a in prefix] + [str(SVCWRAP), "run", "-c", str(ini)],
            stdin=subprocess.DEVNULL, stdout=self._out, stderr=self._err,
            env=env or ctx.env(), cwd=str(cwd or ctx.scratch),
            start_new_session=True, pass_fds=tuple(pass_fds))
        self.returncode = None

    @property
    def pid(self):
        return self.proc.pid

    def running(self):
        return self.proc.poll() is None

    def signal(self, sig):
        assert self.running(), f"{self.name} already exited ({self.proc.returncode}); log:\n{self.log()}"
        os.kill(self.proc.pid, sig)

    def wait(self, timeout=10.0):
        """Wait (scaled deadline) for the wrapper to exit; return its exit
        code. Fails on a timeout or on a sanitizer report in its log."""
        try:
            self.returncode = self.proc.wait(timeout=scaled(timeout))
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"{self.name} did not exit within {scaled(timeout):.1f}s; log:\n{self.log()}")
        self._close()
        check_sanitizer(self.log(), f"{self.name}'s log")
        return self.returncode

    def _close(self):
        for f in (self._out, self._err):
            if not f.closed:
                f.close()

    def log(self):
        """The wrapper's own log (its stderr) so far."""
        return self.err_path.read_bytes().decode("utf-8", "replace")

    def stdout(self):
        """What svcwrap run wrote to its own stdout."""
        return self.out_path.read_bytes().decode("utf-8", "replace")

    def child_stdout(self, log_file):
        """What the child wrote to stdout: the configured [log] stdout file
        (log_file) when svcwrap writes one, else svcwrap's own stdout (where
        builds without log files forward it)."""
        log_file = Path(log_file)
        if log_file.exists():
            return log_file.read_bytes().decode("utf-8", "replace")
        return self.stdout()

    def log_entries(self):
        return parse_log(self.log())

    def wait_log(self, pattern, timeout=5.0, what=None):
        """Wait until a log line matches the regex; return the match."""
        rx = re.compile(pattern)

        def find():
            for line in self.log().splitlines():
                m = rx.search(line)
                if m:
                    return m
            return None

        return wait_until(find, timeout, what or f"{self.name} log line /{pattern}/")

    def log_time(self, pattern):
        """Time (s) of the first log entry whose text matches the regex."""
        rx = re.compile(pattern)
        for ts, _pid, _lvl, text in self.log_entries():
            if rx.search(text):
                return ts
        raise AssertionError(f"no log line /{pattern}/ in:\n{self.log()}")

    def kill_if_running(self):
        """Teardown: returns True if it had to kill the wrapper."""
        killed = False
        if self.proc.poll() is None:
            killed = True
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                self.proc.kill()
            except OSError:
                pass
            try:
                self.proc.wait(timeout=scaled(5))
            except subprocess.TimeoutExpired:
                pass
        self._close()
        return killed


# ---- pytest plumbing -----------------------------------------------------

def pytest_configure(config):
    # Known bugs are xfail(strict=True) tests: list them with their reasons
    # in the summary, next to the skips (`make itest` passes -rs).
    chars = config.option.reportchars or ""
    if "x" not in chars and "a" not in chars and "A" not in chars:
        config.option.reportchars = chars + "x"


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def _safe_name(name):
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", name)[:80]


def _is_expected_failure(item):
    rep = getattr(item, "rep_call", None)
    return rep is not None and hasattr(rep, "wasxfail")


@pytest.fixture(scope="session", autouse=True)
def _binaries():
    missing = [str(p) for p in (SVCWRAP, TESTCHILD, GOCHILD) if not p.exists()]
    if missing:
        pytest.exit("missing binaries (run `make && make san && make "
                    "build/posix/testchild build/posix/gochild`): " + ", ".join(missing),
                    returncode=2)


@pytest.fixture
def scratch(ctx):
    """The test's scratch folder, build/test-tmp/<test>/."""
    return ctx.scratch


@pytest.fixture
def ctx(request):
    """The test's Context: scratch folder, tag, process bookkeeping. The
    teardown kills whatever the test left running and fails if it had to."""
    name = _safe_name(request.node.name)
    scratch = TEST_TMP / name
    if scratch.exists():
        shutil.rmtree(scratch)
    scratch.mkdir(parents=True)
    tag = f"{name}-{uuid.uuid4().hex[:8]}"
    c = Context(name, scratch, tag)
    yield c

    problems = []
    for w in c.wrappers:
        if w.kill_if_running():
            problems.append(f"{w.name} (pid {w.pid}) was still running")
    # Processes that end on their own right after the wrapper (the orphan
    # guard) get a moment; then whatever is left is a leak.
    try:
        wait_until(lambda: not tagged_pids(tag), 1.0, "the test's processes to end")
    except AssertionError:
        pass
    left = tagged_pids(tag)
    for pid in left:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            cmd = "?"
        problems.append(f"pid {pid} left running: {cmd}")
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    for pid in left:
        try:
            wait_pid_gone(pid, 5.0)
        except AssertionError:
            problems.append(f"pid {pid} survived SIGKILL")

    rep_setup = getattr(request.node, "rep_setup", None)
    rep_call = getattr(request.node, "rep_call", None)
    if problems and _is_expected_failure(request.node):
        # An xfail test whose bug is the leak: clean up, report nothing more.
        problems = []
    keep = bool(problems) or (rep_setup is not None and rep_setup.failed) or (
        rep_call is not None and (rep_call.failed or hasattr(rep_call, "wasxfail")))
    if keep:
        sys.stderr.write(f"\nscratch folder kept: {scratch}\n")
    else:
        shutil.rmtree(scratch, ignore_errors=True)
    if problems:
        pytest.fail("the test left processes behind (killed now):\n  " + "\n  ".join(problems),
                    pytrace=False)
