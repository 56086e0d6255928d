#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""svcwrap's benchmark suite: `make bench`.

Measures svcwrap (the native release build, build/posix/svcwrap) beside the
supervisors people use, in one run on one machine, and writes the table to
docs/benchmarks.md (and prints it). Standard library only. bench/README.md
explains every measurement.

Everything runs in private directories under build/bench/runs/; every
process started here is ended at the end, even on failure (by its pid: the
process objects this script holds, then any process whose command line
names build/bench/, then the private Wine prefix's wineserver).

Knobs (environment): BENCH_REPEATS (3: restart, idle),
BENCH_LOG_REPEATS (7: log throughput),
BENCH_STOP_REPEATS (5: memory and stop latency), BENCH_LOG_MB (200),
BENCH_RESTART_SECONDS (5), BENCH_IDLE_SECONDS (10), BENCH_WINE_REPEATS (5),
BENCH_ONLY or --only (comma list of: memory, log, restart, idle, wine,
scm-cycles), BENCH_SCM_CYCLES (100), BENCH_SCM_PASSES (quiet,loaded alone,
quiet in the whole run), BENCH_WINEDEBUG (-all),
BENCH_PEERS (comma list of peer names), BENCH_NO_DOC=1 (print only).
"""
import argparse
import datetime
import http.client
import json
import os
import platform
import re
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import traceback
import xmlrpc.client
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build"
BENCH = BUILD / "bench"
BIN = BENCH / "bin"
RUNS = BENCH / "runs"
SRC = ROOT / "bench"
# The Linux release binary (make static), as shipped in make dist's
# tarball; BENCH_SVCWRAP=build/posix/svcwrap measures the dynamic build.
SVCWRAP = Path(os.environ.get("BENCH_SVCWRAP") or BUILD / "static" / "svcwrap")
SVCWRAP_EXE = BUILD / "win" / "svcwrap.exe"
# The same objects, libuv's DLLs (WS2_32, IPHLPAPI, USERENV) imported at
# load instead of delay-loaded (the Makefile): what delay-loading saves.
SVCWRAP_NODELAY_EXE = BUILD / "win" / "svcwrap-nodelay.exe"
TESTCHILD_EXE = BUILD / "win" / "testchild.exe"
DOC = ROOT / "docs" / "benchmarks.md"
PM2_DIR = BENCH / "node_modules" / "pm2"
PM2_BIN = PM2_DIR / "bin" / "pm2"
WINEPREFIX = BENCH / "wineprefix"

REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
LOG_REPEATS = int(os.environ.get("BENCH_LOG_REPEATS", "7"))
STOP_REPEATS = int(os.environ.get("BENCH_STOP_REPEATS", "5"))
LOG_MB = int(os.environ.get("BENCH_LOG_MB", "200"))
LINE_BYTES = 100
RESTART_SECONDS = float(os.environ.get("BENCH_RESTART_SECONDS", "5"))
IDLE_SECONDS = int(os.environ.get("BENCH_IDLE_SECONDS", "10"))
WINE_REPEATS = int(os.environ.get("BENCH_WINE_REPEATS", "5"))
_ARGS = argparse.ArgumentParser(
    description="svcwrap's benchmarks (bench/README.md)")
_ARGS.add_argument("--only", default=os.environ.get("BENCH_ONLY", ""),
                   help="comma list of: memory, log, restart, idle, wine, "
                   "scm-cycles (default: all; also BENCH_ONLY)")
_ARGS.add_argument("--from-json", metavar="FILE",
                   help="with --only scm-cycles: measure nothing, write the "
                   "section again from FILE (build/bench/scm-cycles.json)")
ARGS = _ARGS.parse_args()
ONLY = set(filter(None, ARGS.only.split(",")))
SCM_CYCLES = int(os.environ.get("BENCH_SCM_CYCLES", "100"))
SCM_TIMEOUT_S = 30                # a start must reach RUNNING within this
SCM_HOLD_MS = 300                 # RUNNING this long before the stop
# Passes of the cycles, each `quiet`, `loaded` (a busy loop on the other
# core) or `stress` (a busy loop per core); alone it makes two, as part of
# the whole bench one.
SCM_PASSES = [x for x in os.environ.get(
    "BENCH_SCM_PASSES",
    "quiet,loaded" if ONLY == {"scm-cycles"} else "quiet").split(",") if x]
WINE_DEBUG = os.environ.get("BENCH_WINEDEBUG", "-all")
ROTATE_BYTES = 10 * 1024 * 1024  # "10MB" in svcwrap's 1024-based sizes
ROTATE_KEEP = 100
SETTLE_S = 1.5                    # steady state before memory is read
DEVNULL = subprocess.DEVNULL

T_START = time.monotonic()


def log(msg):
    print(f"[bench {time.monotonic() - T_START:6.1f}s] {msg}", flush=True)


def want(metric):
    return not ONLY or metric in ONLY


# ---- process bookkeeping -------------------------------------------------

POPENS = []


def spawn(argv, **kw):
    """Popen in its own session (a terminal's Ctrl+C reaches only this
    script, which then cleans up), remembered for the final cleanup."""
    kw.setdefault("stdin", DEVNULL)
    kw.setdefault("start_new_session", True)
    p = subprocess.Popen([str(a) for a in argv], **kw)
    POPENS.append(p)
    return p


def proc_cmdline(pid):
    try:
        return (Path(f"/proc/{pid}/cmdline").read_bytes()
                .replace(b"\0", b" ").decode("utf-8", "replace"))
    except OSError:
        return ""


def proc_stat(pid):
    """(comm, state, ppid) or None."""
    try:
        s = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    comm = s[s.index("(") + 1:s.rindex(")")]
    rest = s[s.rindex(")") + 2:].split()
    return comm, rest[0], int(rest[1])


def all_pids():
    return [int(d) for d in os.listdir("/proc") if d.isdigit()]


def children(ppid, comm=None):
    out = []
    for pid in all_pids():
        st = proc_stat(pid)
        if st and st[2] == ppid and st[1] != "Z" and (comm is None or
                                                      st[0] == comm):
            out.append(pid)
    return out


def alive(pid):
    st = proc_stat(pid)
    return st is not None and st[1] != "Z"


def my_ancestors():
    pids, pid = set(), os.getpid()
    while pid > 1:
        pids.add(pid)
        st = proc_stat(pid)
        if not st:
            break
        pid = st[2]
    return pids


def pids_naming(text):
    """Live processes whose command line contains text (never this script
    or its ancestors)."""
    mine = my_ancestors()
    return [p for p in all_pids()
            if p not in mine and text in proc_cmdline(p) and alive(p)]


def kill_naming(text, sig=signal.SIGKILL):
    for pid in pids_naming(text):
        try:
            os.kill(pid, sig)
        except OSError:
            pass


def reap_popens():
    for p in POPENS:
        if p.poll() is None:
            try:
                os.kill(p.pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                pass
    POPENS[:] = [p for p in POPENS if p.poll() is None]


def wait_for(pred, timeout, what, interval=0.005):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout:.0f}s waiting for "
                               f"{what}")
        time.sleep(interval)


def read_int_file(path):
    try:
        return int(Path(path).read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def smaps(pid):
    """(Rss kB, Pss kB) from /proc/PID/smaps_rollup."""
    rss = pss = None
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Rss:"):
            rss = int(line.split()[1])
        elif line.startswith("Pss:"):
            pss = int(line.split()[1])
    return rss, pss


def hwm(pid):
    """Peak RSS (VmHWM, kB) of a process."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def write_exec(path, text):
    path.write_text(text)
    path.chmod(0o755)


def fifo_send(path, data):
    """Write a control command to a supervise/control FIFO (what sv, s6-svc
    and svc do); returns the monotonic ns just before the write."""
    fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    try:
        t = time.monotonic_ns()
        os.write(fd, data)
    finally:
        os.close(fd)
    return t


def deb_version(pkg):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg],
                       capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else None


# ---- helpers' build --------------------------------------------------------

NATIVE_HELPERS = ["writer", "sleeper", "exit1"]
WIN_HELPERS = ["minsvc", "scbench"]


def build_helpers():
    BIN.mkdir(parents=True, exist_ok=True)
    for h in NATIVE_HELPERS:
        src, out = SRC / f"{h}.c", BIN / h
        if not out.exists() or out.stat().st_mtime < src.stat().st_mtime:
            subprocess.run(["cc", "-std=c11", "-O2", "-Wall", "-Wextra",
                            "-Werror", "-o", str(out), str(src)], check=True)
    for h in WIN_HELPERS:
        src, out = SRC / f"{h}.c", BIN / f"{h}.exe"
        if shutil.which("x86_64-w64-mingw32-gcc") is None:
            break
        if not out.exists() or out.stat().st_mtime < src.stat().st_mtime:
            subprocess.run(["x86_64-w64-mingw32-gcc", "-std=c11", "-O2",
                            "-Wall", "-Wextra", "-Werror", "-municode",
                            "-D_WIN32_WINNT=0x0A00", "-DUNICODE", "-D_UNICODE",
                            "-o", str(out), str(src), "-ladvapi32", "-lpsapi"],
                           check=True)


# ---- scenarios: what the supervised child does ------------------------------

class Scenario:
    """kind: sleep (idle, memory, stop), log (throughput), restart."""

    def __init__(self, kind, d, rotate=False):
        self.kind, self.dir, self.rotate = kind, d, rotate
        self.ready = d / "ready"
        self.stamp = d / "stop-stamp"
        self.start_file = d / "writer-start"
        self.done_file = d / "writer-done"
        self.count = d / "starts"
        self.lines = LOG_MB * 1000 * 1000 // LINE_BYTES

    def argv(self):
        if self.kind == "sleep":
            return [BIN / "sleeper", self.ready, self.stamp]
        if self.kind == "log":
            return [BIN / "writer", self.lines, LINE_BYTES, self.start_file,
                    self.done_file]
        return [BIN / "exit1", self.count]

    def argv_str(self):
        return " ".join(str(a) for a in self.argv())


# ---- the peers ---------------------------------------------------------------

class Peer:
    name = "?"
    processes = "?"        # what is measured, for the table
    can_rotate = True
    rotate_note = ""

    def __init__(self, scen):
        self.s = scen
        self.dir = scen.dir
        self.logdir = self.dir / "logs"
        self.logdir.mkdir(parents=True, exist_ok=True)
        self.out = open(self.dir / "supervisor.out", "wb")

    @classmethod
    def available(cls):
        return None  # or the reason it cannot run

    @classmethod
    def version(cls):
        return ""

    def start(self):
        raise NotImplementedError

    def pids(self):
        """[(label, pid)] of the supervising processes."""
        raise NotImplementedError

    def request_stop(self):
        """Ask for the child's stop; monotonic ns of the request."""
        raise NotImplementedError

    def log_files(self):
        """The child's log files, oldest first."""
        raise NotImplementedError

    def shutdown(self):
        pass

    def numbered_logs(self, pattern):
        """The files in logdir whose names match `pattern` (a regex with
        one group, the number; higher is older), oldest first, then
        bench.out.log."""
        rot = []
        for p in self.logdir.iterdir():
            m = re.fullmatch(pattern, p.name)
            if m:
                rot.append((int(m.group(1)), p))
        files = [p for _, p in sorted(rot, reverse=True)]
        cur = self.logdir / "bench.out.log"
        return files + ([cur] if cur.exists() else [])

    def stop_process(self, timeout):
        """SIGTERM to the peer's own process, SIGKILL after timeout s."""
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()

    def cleanup(self):
        try:
            self.shutdown()
        except Exception as e:  # noqa: BLE001 - the sweep below follows
            log(f"{self.name}: shutdown: {e}")
        # Whatever is left that names this run's folder.
        for _ in range(50):
            left = pids_naming(str(self.dir) + "/")
            if not left:
                break
            kill_naming(str(self.dir) + "/")
            time.sleep(0.02)
        reap_popens()
        self.out.close()

    def tail(self):
        try:
            return (self.dir / "supervisor.out").read_text(
                errors="replace")[-600:]
        except OSError:
            return ""


def tai_files(d):
    """svlogd / s6-log / multilog: @<tai64n>.s|.u archives, then current."""
    if not d.exists():
        return []
    arch = sorted(p for p in d.iterdir() if p.name.startswith("@"))
    cur = d / "current"
    return arch + ([cur] if cur.exists() else [])


class Svcwrap(Peer):
    name = "svcwrap"
    processes = "svcwrap + svcwrap-guard"

    @classmethod
    def available(cls):
        return None if SVCWRAP.exists() else f"{SVCWRAP} missing"

    @classmethod
    def version(cls):
        r = subprocess.run([str(SVCWRAP), "version"], capture_output=True,
                           text=True)
        v = (r.stdout.strip() or r.stderr.strip()).splitlines()
        rev = subprocess.run(["git", "-C", str(ROOT), "describe", "--always",
                              "--dirty"], capture_output=True, text=True)
        v = v[0] if v else "?"
        if v.startswith("svcwrap "):
            v = v[len("svcwrap "):]
        return v + f", git {rev.stdout.strip()}, {SVCWRAP.relative_to(ROOT)}"

    def start(self):
        argv = [str(a) for a in self.s.argv()]
        for a in argv:
            if re.search(r'[\s"]', a):
                raise RuntimeError(f"path with a blank or quote: {a}")
        if self.s.kind == "restart":
            restart = ("policy = always\ndelay = 0\nmax_delay = 0\nsteps = 0\n"
                       "burst = 0\n")
        else:
            restart = "policy = on-failure\n"
        if self.s.rotate:
            logsec = f"max_size = 10MB\nkeep = {ROTATE_KEEP}\n"
        else:
            logsec = "max_size = 1GB\nkeep = 5\n"
        self.ini = self.dir / "svc.ini"
        self.ini.write_text(
            "[service]\nname = bench\n"
            f"[process]\nexecutable = {argv[0]}\n"
            f"arguments = {' '.join(argv[1:])}\n"
            "[stop]\nmethod = ctrl-break, terminate\ntimeout = 10s\n"
            f"[restart]\n{restart}"
            f"[log]\ndirectory = {self.logdir}\ntimestamps = false\n{logsec}")
        self.p = spawn([SVCWRAP, "run", "-c", self.ini], stdout=self.out,
                       stderr=subprocess.STDOUT)

    def guard(self):
        # The guard is forked through a middle process, so it is not
        # svcwrap's child: it is the svcwrap-guard with svcwrap's command
        # line (a fork, no exec).
        try:
            mine = open(f"/proc/{self.p.pid}/cmdline", "rb").read()
        except OSError:
            return None
        for pid in all_pids():
            st = proc_stat(pid)
            if not st or st[0] != "svcwrap-guard" or st[1] == "Z":
                continue
            try:
                if open(f"/proc/{pid}/cmdline", "rb").read() == mine:
                    return pid
            except OSError:
                continue
        return None

    def pids(self):
        out = [("svcwrap", self.p.pid)]
        g = wait_for(self.guard, 5, "svcwrap-guard")
        out.append(("svcwrap-guard", g))
        return out

    def request_stop(self):
        t = time.monotonic_ns()
        os.kill(self.p.pid, signal.SIGTERM)
        return t

    def log_files(self):
        return self.numbered_logs(r"bench\.out\.(\d+)\.log")

    def shutdown(self):
        self.stop_process(10)


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=30)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(30)
        s.connect(self.unix_path)
        self.sock = s


class UnixTransport(xmlrpc.client.Transport):
    def __init__(self, path):
        super().__init__()
        self.unix_path = path

    def make_connection(self, host):
        return UnixHTTPConnection(self.unix_path)


class Supervisord(Peer):
    name = "supervisord"
    processes = "supervisord (python3)"

    @classmethod
    def available(cls):
        return None if shutil.which("supervisord") else \
            "supervisord missing (Debian package supervisor)"

    @classmethod
    def version(cls):
        return deb_version("supervisor") or "?"

    def start(self):
        sock = self.dir / "supervisor.sock"
        self.sock = sock
        if self.s.rotate:
            rot = (f"stdout_logfile_maxbytes={ROTATE_BYTES}\n"
                   f"stdout_logfile_backups={ROTATE_KEEP}\n")
        else:
            rot = "stdout_logfile_maxbytes=0\nstdout_logfile_backups=0\n"
        restart = ("autorestart=true\nstartretries=1000000000\n"
                   if self.s.kind == "restart" else "autorestart=unexpected\n")
        self.conf = self.dir / "supervisord.conf"
        self.conf.write_text(f"""[unix_http_server]
file={sock}
[supervisord]
nodaemon=true
logfile={self.dir}/supervisord.log
pidfile={self.dir}/supervisord.pid
childlogdir={self.dir}
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[supervisorctl]
serverurl=unix://{sock}
[program:bench]
command={self.s.argv_str()}
autostart=true
startsecs=0
{restart}stopsignal=TERM
stopwaitsecs=10
redirect_stderr=true
stdout_logfile={self.logdir}/bench.out.log
{rot}""")
        self.p = spawn(["supervisord", "-n", "-c", self.conf], stdout=self.out,
                       stderr=subprocess.STDOUT)

    def rpc(self):
        return xmlrpc.client.ServerProxy(
            "http://localhost", transport=UnixTransport(str(self.sock)))

    def pids(self):
        return [("supervisord", self.p.pid)]

    def request_stop(self):
        proxy = self.rpc()
        t = time.monotonic_ns()
        proxy.supervisor.stopProcess("bench", False)
        return t

    def log_files(self):
        return self.numbered_logs(r"bench\.out\.log\.(\d+)")

    def shutdown(self):
        self.stop_process(15)


class Runit(Peer):
    name = "runit"
    processes = "runsv + svlogd"

    @classmethod
    def available(cls):
        return None if shutil.which("runsv") and shutil.which("svlogd") else \
            "runsv/svlogd missing (Debian package runit)"

    @classmethod
    def version(cls):
        return deb_version("runit") or "?"

    def start(self):
        svc = self.dir / "svc"
        (svc / "log").mkdir(parents=True)
        self.svc = svc
        write_exec(svc / "run", f"#!/bin/sh\nexec {self.s.argv_str()} 2>&1\n")
        write_exec(svc / "log" / "run", f"#!/bin/sh\nexec svlogd {self.logdir}\n")
        # svlogd: s0 = never rotate; no -t = no time stamps.
        (self.logdir / "config").write_text(
            f"s{ROTATE_BYTES}\nn{ROTATE_KEEP}\n" if self.s.rotate else "s0\n")
        self.p = spawn(["runsv", svc], stdout=self.out,
                       stderr=subprocess.STDOUT)

    def pids(self):
        out = [("runsv", self.p.pid)]
        lg = wait_for(lambda: children(self.p.pid, "svlogd"), 5, "svlogd")
        out.append(("svlogd", lg[0]))
        return out

    def request_stop(self):
        return fifo_send(self.svc / "supervise" / "control", b"d")

    def log_files(self):
        return tai_files(self.logdir)

    def shutdown(self):
        for ctl, cmd in ((self.svc / "supervise" / "control", b"dx"),
                         (self.svc / "log" / "supervise" / "control", b"dx")):
            try:
                fifo_send(ctl, cmd)
            except OSError:
                pass
        try:
            self.p.wait(5)
        except subprocess.TimeoutExpired:
            self.p.kill()


class PipedSupervise(Peer):
    """s6 and daemontools: a supervise process for the service and one for
    its logger, joined by a pipe, exactly as s6-svscan / svscan set them
    up (the scanner itself is not run: it is the analogue of runsvdir,
    and svscan would add a 5 s rescan poll to the idle count)."""
    supervise = "?"
    logger = "?"

    def logger_argv(self):
        raise NotImplementedError

    def start(self):
        self.svc, self.logsvc = self.dir / "svc", self.dir / "logsvc"
        self.svc.mkdir()
        self.logsvc.mkdir()
        write_exec(self.svc / "run",
                   f"#!/bin/sh\nexec {self.s.argv_str()} 2>&1\n")
        write_exec(self.logsvc / "run",
                   "#!/bin/sh\nexec " + " ".join(self.logger_argv()) + "\n")
        r, w = os.pipe()
        try:
            self.p_svc = spawn([self.supervise, self.svc], stdout=w,
                               stderr=self.out)
            self.p_log = spawn([self.supervise, self.logsvc], stdin=r,
                               stdout=self.out, stderr=subprocess.STDOUT)
        finally:
            os.close(r)
            os.close(w)

    def pids(self):
        lg = wait_for(lambda: children(self.p_log.pid, self.logger), 5,
                      self.logger)
        return [(f"{self.supervise} (service)", self.p_svc.pid),
                (f"{self.supervise} (logger)", self.p_log.pid),
                (self.logger, lg[0])]

    def request_stop(self):
        return fifo_send(self.svc / "supervise" / "control", b"d")

    def log_files(self):
        return tai_files(self.logdir)

    def shutdown(self):
        for ctl in (self.svc / "supervise" / "control",
                    self.logsvc / "supervise" / "control"):
            try:
                fifo_send(ctl, b"dx")
            except OSError:
                pass
            time.sleep(0.05)
        for p in (self.p_svc, self.p_log):
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()


class S6(PipedSupervise):
    name = "s6"
    processes = "s6-supervise ×2 + s6-log"
    supervise = "s6-supervise"
    logger = "s6-log"
    # s6-log: s = max size of current (its ceiling is 256 MiB, above the
    # 200 MB written, so that run never rotates), n = archives kept; no t/T
    # directive = no time stamps.

    @classmethod
    def available(cls):
        return None if shutil.which("s6-supervise") and shutil.which(
            "s6-log") else "s6-supervise/s6-log missing (Debian package s6)"

    @classmethod
    def version(cls):
        return deb_version("s6") or "?"

    def logger_argv(self):
        size = ROTATE_BYTES if self.s.rotate else 268435455
        return ["s6-log", f"n{ROTATE_KEEP}", f"s{size}", str(self.logdir)]


class Daemontools(PipedSupervise):
    name = "daemontools"
    processes = "supervise ×2 + multilog"
    supervise = "supervise"
    logger = "multilog"
    rotate_note = ("multilog cannot turn rotation off: its largest size, "
                   "16 MiB (s16777215), is used for the no-rotation run")

    @classmethod
    def available(cls):
        return None if shutil.which("supervise") and shutil.which(
            "multilog") else "supervise/multilog missing (Debian package " \
            "daemontools)"

    @classmethod
    def version(cls):
        return deb_version("daemontools") or "?"

    def logger_argv(self):
        size = ROTATE_BYTES if self.s.rotate else 16777215
        return ["multilog", f"s{size}", f"n{ROTATE_KEEP}", str(self.logdir)]


class Pm2(Peer):
    name = "pm2"
    processes = "pm2 God daemon (node)"
    can_rotate = False
    rotate_note = ("pm2 has no size rotation of its own; the pm2-logrotate "
                   "module checks sizes on a timer (every 30 s by default), "
                   "so there is no comparable rotating run")

    @classmethod
    def available(cls):
        if shutil.which("node") is None:
            return "node is missing"
        if not PM2_BIN.exists():
            return "pm2 is not installed in build/bench (npm install failed?)"
        return None

    @classmethod
    def version(cls):
        try:
            v = json.loads((PM2_DIR / "package.json").read_text())["version"]
        except (OSError, ValueError, KeyError):
            v = "?"
        node = subprocess.run(["node", "--version"], capture_output=True,
                              text=True).stdout.strip()
        return f"{v} (node {node})"

    def env(self):
        e = dict(os.environ)
        e["PM2_HOME"] = str(self.home)
        e["PM2_MODULE"] = str(PM2_DIR)
        return e

    def pm2(self, *args, timeout=60):
        r = subprocess.run(["node", str(PM2_BIN)] + [str(a) for a in args],
                           env=self.env(), stdin=DEVNULL, stdout=self.out,
                           stderr=subprocess.STDOUT, timeout=timeout)
        return r.returncode

    def start(self):
        self.home = self.dir / "pm2home"
        self.home.mkdir()
        argv = [str(a) for a in self.s.argv()]
        app = {
            "name": "bench", "script": argv[0], "args": argv[1:],
            "interpreter": "none", "exec_mode": "fork",
            "autorestart": self.s.kind == "restart",
            "restart_delay": 0, "min_uptime": 0,
            "max_restarts": 1000000000,
            "kill_timeout": 10000,
            "out_file": str(self.logdir / "bench.out.log"),
            "error_file": str(self.logdir / "bench.err.log"),
            "merge_logs": True, "time": False,
        }
        eco = self.dir / "ecosystem.json"
        eco.write_text(json.dumps({"apps": [app]}))
        rc = self.pm2("start", eco)
        if rc != 0:
            raise RuntimeError(f"pm2 start failed ({rc}): {self.tail()}")

    def god(self):
        pid = read_int_file(self.home / "pm2.pid")
        return pid if pid and alive(pid) else None

    def pids(self):
        return [("PM2 God daemon", wait_for(self.god, 10, "pm2 daemon"))]

    def request_stop(self):
        r = subprocess.run(["node", str(SRC / "pm2ctl.js"), "stop", "bench"],
                           env=self.env(), stdin=DEVNULL, capture_output=True,
                           text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError(f"pm2ctl stop: {r.stderr.strip()}")
        return int(r.stdout.split()[-1])

    def log_files(self):
        f = self.logdir / "bench.out.log"
        return [f] if f.exists() else []

    def shutdown(self):
        try:
            self.pm2("kill", timeout=30)
        except subprocess.TimeoutExpired:
            pass


PEERS = [Svcwrap, Supervisord, Runit, S6, Daemontools, Pm2]
if os.environ.get("BENCH_PEERS"):
    _names = os.environ["BENCH_PEERS"].split(",")
    PEERS = [p for p in PEERS if p.name in _names]


# ---- baselines ----------------------------------------------------------------

class CatBaseline(Peer):
    """The physical limit of log capture: the writer piped into
    `cat > file`."""
    name = "cat > file"
    processes = "cat"

    def start(self):
        self.f = open(self.logdir / "out.log", "wb")
        self.w = spawn([str(a) for a in self.s.argv()], stdout=subprocess.PIPE)
        self.c = spawn(["cat"], stdin=self.w.stdout, stdout=self.f)
        self.w.stdout.close()

    def pids(self):
        return [("cat", self.c.pid)]

    def log_files(self):
        return [self.logdir / "out.log"]

    def shutdown(self):
        for p in (self.w, self.c):
            if p.poll() is None:
                p.kill()
            p.wait()
        self.f.close()


class CatSocketBaseline(CatBaseline):
    """The same, fed through a UNIX socketpair instead of a pipe: what
    libuv (svcwrap, node) gives a child as its stdout."""
    name = "cat > file (socketpair)"

    def start(self):
        a, b = socket.socketpair()
        self.f = open(self.logdir / "out.log", "wb")
        try:
            self.w = spawn([str(x) for x in self.s.argv()], stdout=a.fileno())
            self.c = spawn(["cat"], stdin=b.fileno(), stdout=self.f)
        finally:
            a.close()
            b.close()


class LoopBaseline(Peer):
    """The physical limit of restarting: a bare shell loop."""
    name = "sh loop"
    processes = "sh"

    def start(self):
        self.p = spawn(["/bin/sh", "-c",
                        f"while :; do {self.s.argv_str()}; done"])

    def pids(self):
        return [("sh", self.p.pid)]

    def shutdown(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait()


# ---- measurements ---------------------------------------------------------------

RESULTS = {}  # metric -> peer -> key -> [values]
BY_REP = {}   # metric -> peer -> key -> {repeat: value}, for ratios


def record(metric, peer, key, value, rep=None):
    RESULTS.setdefault(metric, {}).setdefault(peer, {}).setdefault(
        key, []).append(value)
    if rep is not None:
        BY_REP.setdefault(metric, {}).setdefault(peer, {}).setdefault(
            key, {})[rep] = value


def record_error(metric, peer, msg):
    log(f"{peer}: {metric}: FAILED: {msg}")
    RESULTS.setdefault(metric, {}).setdefault(peer, {}).setdefault(
        "errors", []).append(msg)


def fresh_dir(name):
    d = RUNS / name
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    return d


def run_sleep_session(cls, r):
    """Memory at steady state, then one stop, timed."""
    s = Scenario("sleep", fresh_dir(f"{cls.name}-sleep-{r}"))
    peer = cls(s)
    try:
        peer.start()
        child = wait_for(lambda: read_int_file(s.ready), 20,
                         f"{cls.name}: the child's ready file")
        pids = peer.pids()
        time.sleep(SETTLE_S)
        per = {}
        for label, pid in pids:
            per[label] = smaps(pid)
        rss = sum(v[0] for v in per.values())
        pss = sum(v[1] for v in per.values())
        record("memory", cls.name, "rss", rss, r)
        record("memory", cls.name, "pss", pss)
        record("memory", cls.name, "per", per)
        pidfd = os.pidfd_open(peer.p.pid) if isinstance(peer, Svcwrap) \
            else None
        t_req = peer.request_stop()
        t_gone = None
        if pidfd is not None:
            # The wrapper's own exit, to the microsecond: a pidfd becomes
            # readable when the process ends.
            pl = select.poll()
            pl.register(pidfd, select.POLLIN)
            if pl.poll(15000):
                t_gone = time.monotonic_ns()
            os.close(pidfd)
        wait_for(s.stamp.exists, 15, f"{cls.name}: the child's stop stamp")
        line = wait_for(lambda: s.stamp.read_text().strip(), 5, "stamp text")
        t_exit, pid = (int(x) for x in line.split()[:2])
        if pid != child:
            raise RuntimeError(f"stamp from pid {pid}, child was {child}")
        record("stop", cls.name, "ms", (t_exit - t_req) / 1e6)
        if t_gone is not None:
            record("stop", cls.name, "wrapper_exit_ms", (t_gone - t_exit) / 1e6)
    except Exception as e:  # noqa: BLE001
        record_error("memory", cls.name, f"{e} {peer.tail()}")
        traceback.print_exc()
    finally:
        peer.cleanup()
        shutil.rmtree(s.dir, ignore_errors=True)


def log_bytes(peer):
    total = 0
    for f in peer.log_files():
        try:
            total += f.stat().st_size
        except OSError:
            pass
    return total


def verify_logs(files, lines):
    """Every line there, in order: the files, oldest first, read as one
    stream. Counts the lines, checks the sequence number at each file
    boundary and the last one, and counts the lines split across two files
    (a line cut by a rotation). Returns (lines, last seq, splits,
    problems)."""
    count, prev, carry, splits, problems = 0, 0, b"", 0, []
    win = 4 * LINE_BYTES

    def seq_of(line, where):
        try:
            return int(line[:8])
        except ValueError:
            problems.append(f"{where}: not a line of the writer's: "
                            f"{line[:20]!r}")
            return None
    for f in files:
        size = f.stat().st_size
        if size == 0:
            continue
        with open(f, "rb") as fh:
            head = fh.read(win)
            fh.seek(0)
            n = 0
            while True:
                b = fh.read(1 << 23)
                if not b:
                    break
                n += b.count(b"\n")
            fh.seek(max(0, size - win))
            tail = fh.read()
        count += n
        if n == 0:
            carry += head if size <= win else b""
            continue
        if carry:
            splits += 1
        first = seq_of(carry + head[:head.index(b"\n")], f.name)
        if first is not None and first != prev + 1:
            problems.append(f"{f.name} starts at line {first}, expected "
                            f"{prev + 1}")
        end = tail.rindex(b"\n")
        if n == 1:
            last = first
        else:
            before = tail[:end]
            last = seq_of(before[before.rfind(b"\n") + 1:], f.name)
        prev = last if last is not None else prev
        carry = tail[end + 1:]
    if carry:
        problems.append("the output ends inside a line")
    if count != lines:
        problems.append(f"{count} lines, expected {lines}")
    if prev != lines:
        problems.append(f"last line {prev}, expected {lines}")
    return count, prev, splits, problems


def cpu_ns(pid):
    """CPU time (ns) a process has used, all its threads
    (/proc/PID/task/*/schedstat)."""
    total = 0
    try:
        for t in os.listdir(f"/proc/{pid}/task"):
            try:
                total += int(Path(f"/proc/{pid}/task/{t}/schedstat")
                             .read_text().split()[0])
            except (OSError, ValueError, IndexError):
                pass
    except OSError:
        pass
    return total


def run_log(cls, variant, r):
    s = Scenario("log", fresh_dir(f"{cls.name.replace(' ', '')}-log-"
                                  f"{variant}-{r}"),
                 rotate=(variant == "rotate"))
    peer = cls(s)
    total = s.lines * LINE_BYTES
    key = f"log-{variant}"
    # Each run starts with no dirty pages of an earlier one being written
    # back (or discarded) under it, and, where allowed (root), with the
    # page cache the earlier runs filled dropped: otherwise reclaiming it
    # (under a memory cgroup) lands at random on whichever writer runs,
    # as CPU spikes of 3-5x.
    os.sync()
    try:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("1\n")
    except OSError:
        pass
    time.sleep(0.1)
    try:
        peer.start()
        t0 = wait_for(lambda: read_int_file(s.start_file), 20,
                      f"{cls.name}: the writer's start")
        pids = [] if issubclass(cls, CatBaseline) else peer.pids()
        cpu_pids = peer.pids()
        deadline = time.monotonic() + 120
        while True:
            got = log_bytes(peer)
            t1 = time.monotonic_ns()
            if got >= total:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {got} of {total} bytes after 120 s")
            time.sleep(0.002)
        secs = (t1 - t0) / 1e9
        mbs = total / 1e6 / secs
        peaks = {label: hwm(pid) for label, pid in pids}
        cpu = sum(cpu_ns(pid) for _, pid in cpu_pids)
        files = peer.log_files()
        count, last, splits, problems = verify_logs(files, s.lines)
        record(key, cls.name, "mbs", mbs, r)
        record(key, cls.name, "cpu_ms", cpu / 1e6, r)
        record(key, cls.name, "splits", splits)
        record(key, cls.name, "files", len(files))
        record(key, cls.name, "verified",
               "ok" if not problems else "; ".join(problems))
        if peaks:
            record(key, cls.name, "peak_kb", sum(v or 0 for v in peaks.values()))
        log(f"{cls.name} {variant} #{r}: {mbs:.0f} MB/s, {cpu / 1e6:.0f} ms "
            f"CPU, {len(files)} files, {count} lines, last {last}, "
            f"{splits} split"
            + (f", PROBLEMS: {problems}" if problems else ""))
    except Exception as e:  # noqa: BLE001
        record_error(key, cls.name, f"{e} {peer.tail()}")
        traceback.print_exc()
    finally:
        peer.cleanup()
        shutil.rmtree(s.dir, ignore_errors=True)


def run_restart(cls, r):
    s = Scenario("restart", fresh_dir(f"{cls.name.replace(' ', '')}-restart-"
                                      f"{r}"))
    peer = cls(s)

    def starts():
        try:
            return s.count.stat().st_size
        except OSError:
            return 0
    try:
        peer.start()
        wait_for(lambda: starts() >= 1, 20, f"{cls.name}: the first start")
        time.sleep(0.5)
        pids = peer.pids()
        cpu0 = sum(cpu_ns(pid) for _, pid in pids)
        c0, t0 = starts(), time.monotonic()
        time.sleep(RESTART_SECONDS)
        c1, t1 = starts(), time.monotonic()
        cpu1 = sum(cpu_ns(pid) for _, pid in pids)
        rate = (c1 - c0) / (t1 - t0)
        record("restart", cls.name, "rate", rate, r)
        if c1 > c0:
            record("restart", cls.name, "cpu_us", (cpu1 - cpu0) / 1e3 /
                   (c1 - c0), r)
        log(f"{cls.name} restart #{r}: {rate:.1f}/s ({c1 - c0} in "
            f"{t1 - t0:.2f}s)")
    except Exception as e:  # noqa: BLE001
        record_error("restart", cls.name, f"{e} {peer.tail()}")
        traceback.print_exc()
    finally:
        peer.cleanup()
        shutil.rmtree(s.dir, ignore_errors=True)


STRACE_LINE = re.compile(
    r"\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)$")


def parse_strace(path):
    calls = {}
    try:
        text = Path(path).read_text()
    except OSError:
        return None
    for line in text.splitlines():
        m = STRACE_LINE.match(line)
        if m and m.group(2) != "total":
            calls[m.group(2)] = int(m.group(1))
    # Attaching interrupts a blocked call, which the kernel then restarts:
    # that call is strace's doing, not the supervisor's.
    calls.pop("restart_syscall", None)
    return calls


def run_idle(peer_classes, r):
    """All peers at once, each with a sleeping child; strace -c -f on each
    one's supervising processes for IDLE_SECONDS, concurrently."""
    peers, traces = [], []
    try:
        for cls in peer_classes:
            s = Scenario("sleep", fresh_dir(f"{cls.name}-idle-{r}"))
            peer = cls(s)
            peers.append(peer)
            try:
                peer.start()
            except Exception as e:  # noqa: BLE001
                record_error("idle", cls.name, str(e))
                peers.pop()
                peer.cleanup()
        ready = []
        for peer in peers:
            try:
                wait_for(lambda: read_int_file(peer.s.ready), 20,
                         f"{peer.name}: ready")
                ready.append((peer, peer.pids()))
            except Exception as e:  # noqa: BLE001
                record_error("idle", peer.name, f"{e} {peer.tail()}")
        time.sleep(2)
        for peer, pids in ready:
            out = peer.dir / "strace.txt"
            argv = ["timeout", "-s", "INT", str(IDLE_SECONDS), "strace", "-c",
                    "-f", "-o", out]
            for _, pid in pids:
                argv += ["-p", pid]
            traces.append((peer, out, spawn(argv, stdout=DEVNULL,
                                            stderr=subprocess.PIPE)))
        for peer, out, p in traces:
            _, err = p.communicate(timeout=IDLE_SECONDS + 30)
            if "Operation not permitted" in err.decode(errors="replace"):
                record_error("idle", peer.name, "ptrace not permitted")
                continue
            calls = parse_strace(out)
            if calls is None:
                record_error("idle", peer.name, "no strace output")
                continue
            record("idle", peer.name, "total", sum(calls.values()))
            record("idle", peer.name, "calls", calls)
            log(f"{peer.name} idle #{r}: {sum(calls.values())} syscalls "
                f"{dict(sorted(calls.items(), key=lambda kv: -kv[1])[:4])}")
    finally:
        for peer in peers:
            peer.cleanup()
            shutil.rmtree(peer.dir, ignore_errors=True)


# ---- Windows under Wine --------------------------------------------------------

def wine_env():
    e = dict(os.environ)
    e.update({"WINEPREFIX": str(WINEPREFIX), "WINEDEBUG": WINE_DEBUG,
              "WINEDLLOVERRIDES": "mscoree,mshtml=", "LANG": "C.UTF-8"})
    return e


def winpath(p):
    return "Z:" + str(Path(p).resolve()).replace("/", "\\")


def wine_run(args, out_dir, timeout=120, name="wine"):
    """wine ARGS with output to files (never a pipe: wineserver would
    inherit it and it would never close)."""
    o, e = out_dir / f"{name}.out", out_dir / f"{name}.err"
    with open(o, "wb") as fo, open(e, "wb") as fe:
        p = subprocess.run(["wine"] + [str(a) for a in args], env=wine_env(),
                           stdout=fo, stderr=fe, stdin=DEVNULL,
                           timeout=timeout)
    return p.returncode, o.read_text(errors="replace") + e.read_text(
        errors="replace")


def wineserver(*args, timeout=60):
    subprocess.run(["wineserver"] + list(args), env=wine_env(), stdin=DEVNULL,
                   stdout=DEVNULL, stderr=DEVNULL, timeout=timeout)


def wine_pids(exe_name):
    """Processes whose program (argv[0], a Windows path under Wine) is
    exe_name: not those that only mention it in their arguments."""
    out = []
    for pid in pids_naming(exe_name):
        prog = proc_cmdline(pid).split(" ")[0].replace("\\", "/")
        if prog.rsplit("/", 1)[-1].lower() == exe_name.lower():
            out.append(pid)
    return out


def prefix_pids():
    """Processes of this script's Wine prefix (WINEPREFIX in their
    environment)."""
    want_env = f"WINEPREFIX={WINEPREFIX}".encode()
    out = []
    for pid in all_pids():
        try:
            env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if want_env in env and alive(pid):
            out.append(pid)
    return out


WINE_FILES = (SVCWRAP_EXE, TESTCHILD_EXE, BIN / "minsvc.exe",
              BIN / "scbench.exe")


def wine_missing():
    """Why the Wine measurements cannot run, or None."""
    if shutil.which("wine") is None:
        return "wine is not installed"
    for f in WINE_FILES:
        if not f.exists():
            return f"{f} is missing"
    return None


def wine_install(d):
    """A fresh private prefix with one persistent wineserver, and the two
    services installed: swbench (svcwrap.exe, copied under that name, with
    testchild.exe as swchild.exe) and minsvc. Returns swbench.exe's path."""
    log("wine: fresh prefix (wineboot -i)")
    if WINEPREFIX.exists():
        wineserver("-k")
        shutil.rmtree(WINEPREFIX)
    WINEPREFIX.mkdir(parents=True)
    with open(d / "wineboot.log", "wb") as fo:
        subprocess.run(["wineboot", "-i"], env=wine_env(), stdout=fo,
                       stderr=fo, stdin=DEVNULL, timeout=300, check=True)
    # wineboot leaves its own services.exe; a persistent server
    # started after it would get a second one, and the two disagree.
    wineserver("-k")
    wineserver("-w")
    wineserver("-p")
    # svcwrap renamed after its service (as the README suggests), so
    # its processes are told apart from other Wine sessions' by name.
    exe = d / "swbench.exe"
    shutil.copy(SVCWRAP_EXE, exe)
    if SVCWRAP_NODELAY_EXE.exists():
        shutil.copy(SVCWRAP_NODELAY_EXE, d / "swnodelay.exe")
    shutil.copy(TESTCHILD_EXE, d / "swchild.exe")
    shutil.copy(BIN / "minsvc.exe", d / "minsvc.exe")
    shutil.copy(BIN / "scbench.exe", d / "scbench.exe")
    for name in ("swbench", "swnodelay"):
        (d / f"{name}.ini").write_text(
            f"[service]\nname = {name}\n"
            f"[process]\nexecutable = {winpath(d / 'swchild.exe')}\n"
            "arguments = --sleep -1\n"
            # Wine 8 cannot deliver CTRL_BREAK (docs/building.md):
            # ctrl-c is the graceful step that works here.
            "[stop]\nmethod = ctrl-c, terminate\ntimeout = 10s\n"
            f"[log]\ndirectory = {winpath(d / 'logs')}\n")
    ini = d / "swbench.ini"
    # The first wine process after `wineserver -p` starts services.exe,
    # which inherits its environment (WINEDEBUG) and its output files.
    rc, out = wine_run(["sc", "create", "swbench", "binPath=",
                        f'"{winpath(exe)}" run -c "{winpath(ini)}"'], d,
                       name="create1")
    if rc != 0:
        raise RuntimeError(f"sc create swbench: {out}")
    if (d / "swnodelay.exe").exists():
        nd = d / "swnodelay.exe"
        rc, out = wine_run(["sc", "create", "swnodelay", "binPath=",
                            f'"{winpath(nd)}" run -c '
                            f'"{winpath(d / "swnodelay.ini")}"'], d,
                           name="create3")
        if rc != 0:
            raise RuntimeError(f"sc create swnodelay: {out}")
    rc, out = wine_run(["sc", "create", "minsvc", "binPath=",
                        f'"{winpath(d / "minsvc.exe")}"'], d,
                       name="create2")
    if rc != 0:
        raise RuntimeError(f"sc create minsvc: {out}")
    return exe


def wine_version():
    return subprocess.run(["wine", "--version"], capture_output=True,
                          text=True, env=wine_env()).stdout.strip()


def wine_teardown(d):
    for name in ("swbench", "swnodelay", "minsvc"):
        try:
            wine_run(["sc", "delete", name], d, name=f"delete-{name}",
                     timeout=60)
        except (subprocess.TimeoutExpired, OSError):
            pass
    wineserver("-k")
    try:
        wineserver("-w", timeout=30)
    except subprocess.TimeoutExpired:
        pass
    kill_naming(str(d))
    # Made anew by every run; no need to keep its ~600 MB.
    shutil.rmtree(WINEPREFIX, ignore_errors=True)


def run_wine():
    why = wine_missing()
    if why:
        RESULTS["wine"] = {"error": why}
        return
    d = fresh_dir("wine")
    res = {"rows": {}, "rss": {}}
    RESULTS["wine"] = res
    try:
        exe = wine_install(d)
        marker = d / "marker"
        result = d / "scbench.txt"
        fo = open(d / "scbench.out", "wb")
        nodelay = (d / "swnodelay.exe").exists()
        p = spawn(["wine", d / "scbench.exe", winpath(result),
                   WINE_REPEATS, 1000, winpath(marker), "swbench"]
                  # ABBA: each of the two svcwrap builds starts first as
                  # often as second in every round (no order bias).
                  + (["swnodelay", "swnodelay", "swbench"] if nodelay
                     else []) + ["minsvc",
                   "spawn:" + winpath(d / "swchild.exe") + "|--exit 0",
                   "spawn:" + winpath(d / "minsvc.exe"),
                   "spawn:" + winpath(exe) + "|version"]
                  + (["spawn:" + winpath(d / "swnodelay.exe") + "|version"]
                     if nodelay else []) + ["console"],
                  env=wine_env(), stdout=fo, stderr=subprocess.STDOUT)
        patterns = {"swbench": "swbench.exe", "minsvc": "minsvc.exe",
                    "swnodelay": "swnodelay.exe"}
        deadline = time.monotonic() + 60 + WINE_REPEATS * 30
        while p.poll() is None:
            if time.monotonic() > deadline:
                p.kill()
                raise RuntimeError("scbench did not finish in time")
            for m in d.glob("marker.*"):
                name = m.name.split(".")[1]
                rss = pss = 0
                for pid in wine_pids(patterns.get(name, "?")):
                    try:
                        a, b = smaps(pid)
                    except OSError:
                        continue
                    rss += a
                    pss += b
                res["rss"].setdefault(name, []).append((rss, pss))
                child = [smaps(pid) for pid in wine_pids("swchild.exe")
                         if name == "swbench"]
                if child:
                    res.setdefault("child_rss", []).append(child[0])
                # Which Windows processes run in the prefix meanwhile.
                res.setdefault("procs", {})[name] = sorted(
                    {proc_cmdline(pid).split(" ")[0].split("\\")[-1]
                     for pid in prefix_pids()})
                m.unlink()
            time.sleep(0.02)
        fo.close()
        for line in result.read_text(errors="replace").splitlines():
            f = line.split()
            if f and f[0] == "spawn" and len(f) >= 5 and f[3] != "error":
                res.setdefault("spawn", {}).setdefault(f[1], []).append(
                    [float(x) for x in f[3:5]])
            elif f and f[0] == "console" and f[2] != "error":
                res.setdefault(f[0], []).append([float(x) for x in f[2:]])
            elif len(f) >= 8 and f[2] != "error":
                row = res["rows"].setdefault(f[0], {"start": [], "stop": [],
                                                    "ws": [], "peak": [],
                                                    "private": []})
                row["start"].append(float(f[2]))
                row["stop"].append(float(f[3]))
                row["ws"].append(int(f[5]) / 1024)
                row["peak"].append(int(f[6]) / 1024)
                row["private"].append(int(f[7]) / 1024)
            elif f:
                res.setdefault("errors", []).append(line)
        # svcwrap's own part of the start: from its first log line to its
        # RUNNING report (the wrapper log's millisecond time stamps).
        t_first = None
        for line in (d / "logs" / "swbench.svcwrap.log").read_text(
                errors="replace").splitlines():
            try:
                ts = datetime.datetime.fromisoformat(line.split(" ")[0])
            except ValueError:
                continue
            if "service swbench starting" in line:
                t_first = ts
            elif "starting -> running" in line and t_first is not None:
                res.setdefault("own_start_ms", []).append(
                    (ts - t_first).total_seconds() * 1000)
                t_first = None
        # Sizes: as built, and stripped.
        stripped = d / "svcwrap-stripped.exe"
        subprocess.run(["x86_64-w64-mingw32-strip", "-o", str(stripped),
                        str(SVCWRAP_EXE)], check=True)
        mstripped = d / "minsvc-stripped.exe"
        subprocess.run(["x86_64-w64-mingw32-strip", "-o", str(mstripped),
                        str(BIN / "minsvc.exe")], check=True)
        res["size"] = {"built": SVCWRAP_EXE.stat().st_size,
                       "stripped": stripped.stat().st_size,
                       "minsvc_stripped": mstripped.stat().st_size}
        res["imports"] = {}
        for f in ("swbench.exe", "swchild.exe", "minsvc.exe", "swnodelay.exe"):
            if not (d / f).exists():
                continue
            od = subprocess.run(["x86_64-w64-mingw32-objdump", "-p",
                                 str(d / f)], capture_output=True, text=True)
            res["imports"][f] = re.findall(r"DLL Name: (\S+)", od.stdout)
        res["version"] = wine_version()
    except Exception as e:  # noqa: BLE001
        res["error"] = str(e)
        traceback.print_exc()
    finally:
        wine_teardown(d)


SCM_STATES = {0: "no answer", 1: "STOPPED", 2: "START_PENDING",
              3: "STOP_PENDING", 4: "RUNNING", 5: "CONTINUE_PENDING",
              6: "PAUSE_PENDING", 7: "PAUSED"}


def busy_loop():
    """A process that keeps one core busy (the `loaded` passes)."""
    return spawn(["/bin/sh", "-c", "while :; do :; done"], stdout=DEVNULL,
                 stderr=DEVNULL)


def parse_cycles(text):
    """scbench --cycles lines -> {service: [cycle dict]} and other lines."""
    rows, other = {}, []
    for line in text.splitlines():
        f = line.split()
        if len(f) == 14 and f[0] == "cycle":
            try:
                c = {"i": int(f[2]), "utc": f[3], "start_err": int(f[4]),
                     "call_ms": float(f[5]), "start_ms": float(f[6]),
                     "start_state": int(f[7]), "w32": int(f[8]),
                     "svc": int(f[9]), "stop_err": int(f[10]),
                     "stop_ms": float(f[11]), "stop_state": int(f[12]),
                     "pid": int(f[13])}
            except ValueError:
                other.append(line)
                continue
            rows.setdefault(f[1], []).append(c)
        elif f:
            other.append(line)
    return rows, other


def cycle_failures(c):
    """What went wrong in one cycle: a list of short strings."""
    out = []
    if c["start_err"]:
        out.append(f"StartService error {c['start_err']}")
    elif c["start_ms"] < 0:
        out.append("not RUNNING within "
                   f"{SCM_TIMEOUT_S} s (last state "
                   f"{SCM_STATES.get(c['start_state'], c['start_state'])})")
    if c["stop_err"] > 0:
        out.append(f"ControlService(STOP) error {c['stop_err']}")
    if c["stop_ms"] < 0:
        out.append("not STOPPED within "
                   f"{SCM_TIMEOUT_S} s (last state "
                   f"{SCM_STATES.get(c['stop_state'], c['stop_state'])})")
    return out


def wrapper_runs(log_path):
    """svcwrap's log -> {Windows pid: (first line, `starting -> running`
    line)} as UTC datetimes (the second None if it never got there)."""
    runs = {}
    try:
        text = log_path.read_text(errors="replace")
    except OSError:
        return runs
    for line in text.splitlines():
        m = re.match(r"(\S+) svcwrap\[(\d+)\]: ", line)
        if not m:
            continue
        try:
            ts = datetime.datetime.fromisoformat(m.group(1))
        except ValueError:
            continue
        pid = int(m.group(2))
        first, running = runs.get(pid, (ts, None))
        if running is None and "starting -> running" in line:
            running = ts
        runs[pid] = (first, running)
    return runs


def utc(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def match_wrapper_log(rows, runs):
    """For each svcwrap cycle: ms from the StartServiceW call to svcwrap's
    first log line (process creation, DLL loading, INI, log files), and
    from there to its RUNNING report; for a failed start, whether any
    svcwrap process logged between this call and the next."""
    cs = rows.get("swbench", [])
    for k, c in enumerate(cs):
        t0 = utc(c["utc"])
        r = runs.get(c["pid"]) if c["pid"] else None
        if r and r[0] >= t0:
            c["pre_log_ms"] = (r[0] - t0).total_seconds() * 1000
            if r[1] is not None:
                c["own_ms"] = (r[1] - r[0]).total_seconds() * 1000
        if cycle_failures(c):
            t1 = utc(cs[k + 1]["utc"]) if k + 1 < len(cs) else None
            c["logged"] = sorted(pid for pid, (first, _) in runs.items()
                                 if first >= t0 and (t1 is None or first < t1))


def run_scm_cycles():
    """SCM_CYCLES start/stop cycles of svcwrap.exe and of minsvc.exe,
    alternating, per pass; failures counted by kind (bench/README.md)."""
    why = wine_missing()
    res = {"passes": [], "cycles": SCM_CYCLES, "timeout_s": SCM_TIMEOUT_S,
           "hold_ms": SCM_HOLD_MS, "winedebug": WINE_DEBUG,
           "how": ("python3 bench/run.py --only scm-cycles"
                   if ONLY == {"scm-cycles"} else "make bench"),
           "utc": datetime.datetime.now(datetime.timezone.utc).strftime(
               "%Y-%m-%d %H:%M UTC")}
    RESULTS["scm-cycles"] = res
    if why:
        res["error"] = why
        return
    d = fresh_dir("scm-cycles")
    try:
        wine_install(d)
        for n, kind in enumerate(SCM_PASSES):
            busy = [busy_loop() for _ in range(
                {"loaded": 1, "stress": os.cpu_count() or 1}.get(kind, 0))]
            out = d / f"cycles-{n}.txt"
            load0 = Path("/proc/loadavg").read_text().split()[0]
            log(f"scm-cycles pass {n + 1}/{len(SCM_PASSES)} ({kind}): "
                f"{SCM_CYCLES} start/stop cycles each of swbench, minsvc")
            t0 = time.monotonic()
            with open(d / f"cycles-{n}.out", "wb") as fo:
                p = spawn(["wine", d / "scbench.exe", "--cycles", winpath(out),
                           SCM_CYCLES, SCM_HOLD_MS, SCM_TIMEOUT_S * 1000,
                           "swbench", "minsvc"],
                          env=wine_env(), stdout=fo, stderr=subprocess.STDOUT)
                # Progress, not a total: a cycle that fails takes up to
                # three timeouts; none should take longer.
                last, seen = time.monotonic(), 0
                while p.poll() is None:
                    time.sleep(0.5)
                    size = out.stat().st_size if out.exists() else 0
                    if size != seen:
                        last, seen = time.monotonic(), size
                    elif time.monotonic() - last > 4 * SCM_TIMEOUT_S + 30:
                        p.kill()
                        raise RuntimeError(
                            f"scbench --cycles made no progress for "
                            f"{4 * SCM_TIMEOUT_S + 30} s: {out.read_text()}")
            for b in busy:
                b.kill()
                b.wait()
            rows, other = parse_cycles(out.read_text(errors="replace"))
            if p.returncode != 0 or any(len(rows.get(k, [])) != SCM_CYCLES
                                        for k in ("swbench", "minsvc")):
                other.append(f"scbench exited with code {p.returncode} "
                             f"after {sum(map(len, rows.values()))} cycles "
                             f"of {2 * SCM_CYCLES}")
            match_wrapper_log(rows, wrapper_runs(
                d / "logs" / "swbench.svcwrap.log"))
            res["passes"].append({
                "kind": kind, "rows": rows, "other": other,
                "seconds": time.monotonic() - t0,
                "load": [load0, Path("/proc/loadavg").read_text().split()[0]]})
            for name, cs in rows.items():
                bad = [(c["i"], cycle_failures(c)) for c in cs
                       if cycle_failures(c)]
                log(f"  {name}: {len(cs)} cycles, {len(bad)} with a failure"
                    + (f": {bad[:3]}" if bad else ""))
        res["version"] = wine_version()
    except Exception as e:  # noqa: BLE001
        res["error"] = str(e)
        traceback.print_exc()
    finally:
        wine_teardown(d)


def pct(v, q):
    """The q-th percentile (nearest rank) of v."""
    v = sorted(v)
    k = max(0, min(len(v) - 1, int(-(-q * len(v) // 100)) - 1))
    return v[k]


def dist(v):
    if not v:
        return "—"
    return f"{med(v):.0f} / {pct(v, 95):.0f} / {max(v):.0f}"


SCM_HEADING = "## Windows under Wine: start/stop reliability"


def scm_section():
    """The start/stop reliability section of docs/benchmarks.md."""
    L = [SCM_HEADING + "\n"]
    w = RESULTS.get("scm-cycles")
    if not w or (w.get("error") and not w.get("passes")):
        L.append(f"Not measured: {w.get('error') if w else 'skipped'}\n")
        return L
    L.append(f"`{w.get('how', 'python3 bench/run.py --only scm-cycles')}`, "
             f"{w.get('utc', '?')}, {w.get('version', 'wine')}, a fresh "
             "private prefix with one persistent wineserver. "
             f"bench/scbench.exe (`--cycles`) runs {w['cycles']} start/stop "
             "cycles of each service, alternating (svcwrap.exe, minsvc.exe, "
             "svcwrap.exe, …): StartServiceW, QueryServiceStatusEx every "
             f"millisecond until RUNNING (at most {w['timeout_s']} s), "
             f"{w['hold_ms']} ms, ControlService(STOP), polling until STOPPED "
             f"(at most {w['timeout_s']} s), 100 ms. svcwrap.exe runs "
             "testchild.exe (`--sleep -1`) with `[stop] method = ctrl-c, "
             "terminate`. Latency is from just before the call. `loaded`: "
             "a shell busy loop kept the second core busy during the pass; "
             "`stress`: one busy loop per core. The load average shown is "
             "the machine's at the start of the pass (other sessions share "
             "it).\n")
    L.append("| pass | service | cycles | start failed (error) | start not "
             "RUNNING in 30 s | stop failed / not STOPPED | start → RUNNING "
             "ms median / p95 / max | stop → STOPPED ms median / p95 / max |")
    L.append("|---|---|---|---|---|---|---|---|")
    labels = {"swbench": "svcwrap.exe", "minsvc": "minsvc.exe"}
    fails = []
    for n, ps in enumerate(w["passes"]):
        for name in ("swbench", "minsvc"):
            cs = ps["rows"].get(name, [])
            errs = {}
            for c in cs:
                if c["start_err"]:
                    errs[c["start_err"]] = errs.get(c["start_err"], 0) + 1
            errtxt = ", ".join(f"{k}: {v}" for k, v in sorted(errs.items()))
            timeouts = sum(1 for c in cs
                           if not c["start_err"] and c["start_ms"] < 0)
            stops = sum(1 for c in cs if c["stop_err"] > 0 or
                        c["stop_ms"] < 0)
            ok = [c for c in cs if not c["start_err"] and c["start_ms"] >= 0]
            L.append(f"| {n + 1} {ps['kind']} (load {ps['load'][0]}) | "
                     f"{labels[name]} | {len(cs)} | "
                     f"{sum(errs.values())}" + (f" ({errtxt})" if errtxt
                                                else "") +
                     f" | {timeouts} | {stops} | "
                     f"{dist([c['start_ms'] for c in ok])} | "
                     f"{dist([c['stop_ms'] for c in ok if c['stop_ms'] >= 0])}"
                     " |")
            for c in cs:
                f = cycle_failures(c)
                if f:
                    if "logged" in c:
                        f.append("svcwrap processes that logged before the "
                                 "next cycle: " + (", ".join(
                                     map(str, c["logged"])) or "none"))
                    fails.append(f"pass {n + 1}, {labels[name]} cycle "
                                 f"{c['i'] + 1} ({c['utc']}): "
                                 + "; ".join(f) +
                                 f"; exit codes {c['w32']}/{c['svc']}")
        if ps["other"]:
            fails.append(f"pass {n + 1}: " + "; ".join(ps["other"][:5]))
    L.append("")
    tot = {}
    for ps in w["passes"]:
        for name in ("swbench", "minsvc"):
            cs = ps["rows"].get(name, [])
            t = tot.setdefault(name, [0, 0])
            t[0] += len(cs)
            t[1] += sum(1 for c in cs if cycle_failures(c))
    L.append("In all: " + "; ".join(
        f"{labels[k]} {v[1]} cycle(s) with a failure out of {v[0]}"
        for k, v in tot.items()) + ".\n")
    sw_f, ms_f = tot.get("swbench", [0, 0]), tot.get("minsvc", [0, 0])
    if sw_f[0] and ms_f[0]:
        if sw_f[1] / sw_f[0] > ms_f[1] / ms_f[0]:
            verdict = ("svcwrap.exe failed more often than the minimal "
                       "service: the failed cycles above are to be "
                       "investigated as ours.")
        elif sw_f[1] == 0:
            verdict = ("Neither service failed a start or a stop. The "
                       "failures seen elsewhere (1359 from StartService, a "
                       "start that never reached RUNNING) did not occur; "
                       "nothing here points at svcwrap.exe. Why a 1359 is "
                       "Wine's: bench/README.md, Findings.")
        else:
            verdict = ("svcwrap.exe failed no more often than the minimal "
                       "service: what fails here fails alike for both, so "
                       "it is Wine's (bench/README.md, Findings).")
        L.append("Conclusion: " + verdict + "\n")
    L.append("Where the start time goes (ms, median / p95 / max of the "
             "cycles without a failure). Wine's StartServiceW returns once "
             "the new process has connected to the SCM and made its first "
             "SetServiceStatus call (services.exe waits up to 10 s for it, "
             "then fails the start with 1053); svcwrap's first log line "
             "comes just before that call:\n")
    for n, ps in enumerate(w["passes"]):
        sw = [c for c in ps["rows"].get("swbench", [])
              if not cycle_failures(c)]
        ms = [c for c in ps["rows"].get("minsvc", [])
              if not cycle_failures(c)]
        L.append(f"- pass {n + 1} ({ps['kind']}): StartServiceW call "
                 f"svcwrap.exe {dist([c['call_ms'] for c in sw])}, "
                 f"minsvc.exe {dist([c['call_ms'] for c in ms])}; svcwrap.exe "
                 "from the call to its first log line (Wine creating the "
                 "process and loading its DLLs; svcwrap reading its INI, "
                 "connecting to the SCM, AllocConsole) "
                 f"{dist([c['pre_log_ms'] for c in sw if 'pre_log_ms' in c])}"
                 ", from there to its RUNNING report (job, child "
                 f"started) {dist([c['own_ms'] for c in sw if 'own_ms' in c])}"
                 f"; the pass took {ps['seconds']:.0f} s, load average "
                 f"{ps['load'][0]} → {ps['load'][1]}")
    L.append("")
    if fails:
        L.append("Failed cycles:\n")
        L.extend(f"- {x}" for x in fails[:30])
        L.append("")
    if w.get("error"):
        L.append(f"The run ended early: {w['error']}\n")
    return L


def update_doc_section(lines):
    """Replace the start/stop reliability section of docs/benchmarks.md
    (or add it before Details), leaving the rest of the doc alone."""
    text = DOC.read_text() if DOC.exists() else "# svcwrap benchmarks\n\n"
    new = "\n".join(lines) + "\n"
    i = text.find(SCM_HEADING)
    if i >= 0:
        j = text.find("\n## ", i + len(SCM_HEADING))
        text = text[:i] + new + (text[j + 1:] if j >= 0 else "")
    else:
        j = text.find("## Details")
        text = (text[:j] + new + text[j:]) if j >= 0 else text + "\n" + new
    DOC.write_text(text)


# ---- the report ------------------------------------------------------------------

def med(v):
    return statistics.median(v) if v else None


def fmt(v, digits=1):
    if v is None:
        return "—"
    if digits == 0:
        return f"{v:.0f}"
    return f"{v:.{digits}f}"


def cell(values, digits=1, scale=1.0):
    if not values:
        return None
    v = [x * scale for x in values]
    m = statistics.median(v)
    if len(v) == 1:
        return fmt(m, digits)
    return f"{fmt(m, digits)} [{fmt(min(v), digits)}–{fmt(max(v), digits)}]"


def get(metric, peer, key):
    return RESULTS.get(metric, {}).get(peer, {}).get(key, [])


def errors(metric, peer):
    e = get(metric, peer, "errors")
    return ("failed: " + e[0][:120].replace("|", "/").replace("\n", " ")) \
        if e else None


def machine():
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = "?"
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    try:
        deb = Path("/etc/debian_version").read_text().strip()
    except OSError:
        deb = "?"
    fs = subprocess.run(["df", "-T", str(BENCH)], capture_output=True,
                        text=True).stdout.splitlines()
    fstype = fs[1].split()[1] if len(fs) > 1 else "?"
    return (f"{cpu}, {os.cpu_count()} cores, {mem} RAM; Linux "
            f"{platform.release()}, Debian {deb}; logs written to {fstype} "
            "(page cache, no fsync)")


def ratio_cells(metric, num, den, key, den_metric=None):
    """Ratios num/den computed within each repeat (the same round of the
    same run), then their median and range. den may be a list: the best of
    them in that round."""
    a = BY_REP.get(metric, {}).get(num, {}).get(key, {})
    dens = den if isinstance(den, list) else [den]
    out = []
    for r, v in sorted(a.items()):
        b = [BY_REP.get(den_metric or metric, {}).get(d, {}).get(key, {})
             .get(r) for d in dens]
        b = [x for x in b if x]
        if b:
            out.append(v / max(b))
    return out


def build_report(versions, loads, wall):
    L = []
    now = datetime.datetime.now(datetime.timezone.utc)
    L.append("# svcwrap benchmarks\n")
    L.append(f"Generated by `make bench` (bench/run.py) on "
             f"{now:%Y-%m-%d %H:%M} UTC in {wall / 60:.1f} min. Method and "
             "caveats: [bench/README.md](../bench/README.md). Do not edit by "
             "hand: run `make bench` again.\n")
    L.append(f"- Machine: {machine()}")
    L.append(f"- Load average before / after: {loads[0]} / {loads[1]} "
             "(other work on the machine shows up as noise)")
    L.append("- Versions: " + "; ".join(f"{k} {v}" for k, v in
                                         versions.items()))
    L.append(f"- Repeats: memory and stop latency {STOP_REPEATS}; log "
             f"throughput {LOG_REPEATS}; restart rate and idle {REPEATS}; "
             f"Wine {WINE_REPEATS}. Cells are median [min–max]; ratios are "
             "taken within each round (same run, back to back), then their "
             "median.\n")

    peers = [p.name for p in PEERS]
    L.append("## Native (Linux)\n")
    L.append("| supervisor | processes measured | RSS MB | PSS MB | log MB/s, "
             "no rotation | log MB/s, 10 MB rotation | restarts/s (zero delay)"
             f" | idle syscalls in {IDLE_SECONDS} s | stop latency ms |")
    L.append("|---|---|---|---|---|---|---|---|---|")
    notes = {p.name: p for p in PEERS}
    for name in peers:
        cls = notes[name]
        mem_err = errors("memory", name)
        rss = cell(get("memory", name, "rss"), 2, 1 / 1024) or mem_err or "—"
        pss = cell(get("memory", name, "pss"), 2, 1 / 1024) or mem_err or "—"
        logs = []
        for variant in ("plain", "rotate"):
            if variant == "rotate" and not cls.can_rotate:
                logs.append("n/a¹")
                continue
            key = f"log-{variant}"
            c = cell(get(key, name, "mbs"), 0) or errors(key, name) or "—"
            ver = get(key, name, "verified")
            if ver and any(v != "ok" for v in ver):
                c += " (incomplete!)"
            logs.append(c)
        rs = cell(get("restart", name, "rate"), 1) or errors("restart", name) \
            or "—"
        idle = cell(get("idle", name, "total"), 0) or errors("idle", name) \
            or "—"
        stop = cell(get("stop", name, "ms"), 2) or mem_err or "—"
        L.append(f"| {name} | {cls.processes} | {rss} | {pss} | {logs[0]} | "
                 f"{logs[1]} | {rs} | {idle} | {stop} |")
    cat = cell(get("log-plain", "cat > file", "mbs"), 0) or \
        errors("log-plain", "cat > file") or "—"
    cats = cell(get("log-plain", CatSocketBaseline.name, "mbs"), 0) or \
        errors("log-plain", CatSocketBaseline.name) or "—"
    loop = cell(get("restart", "sh loop", "rate"), 1) or \
        errors("restart", "sh loop") or "—"
    L.append(f"| baseline | `writer \\| cat > file` (a pipe) / bare `sh` "
             f"loop | — | — | {cat} | — | {loop} | — | — |")
    L.append(f"| baseline | `cat > file` fed by a socketpair (what libuv "
             f"gives a child) | — | — | {cats} | — | — | — | — |")
    L.append("")
    L.append("¹ " + Pm2.rotate_note + ".  ")
    L.append("Daemontools: " + Daemontools.rotate_note + ".  ")
    L.append("s6 and daemontools are run as their scanners set them up: one "
             "supervise process for the service and one for its logger, "
             "joined by a pipe; all three processes are counted.\n")

    # Goals.
    L.append("## Against the goals\n")
    L.append("| goal | measured (median [min–max]) | verdict |")
    L.append("|---|---|---|")
    verdicts = []

    def goal(text, measured, ok):
        v = "—" if ok is None else ("met" if ok else "**missed**")
        verdicts.append((text, ok))
        L.append(f"| {text} | {measured} | {v} |")

    sw = "svcwrap"
    sw_rss = med(get("memory", sw, "rss"))
    sd_rss = med(get("memory", "supervisord", "rss"))
    if sw_rss and sd_rss:
        r = ratio_cells("memory", sw, "supervisord", "rss")
        goal("RSS ≤ 1/10 of supervisord's (svcwrap + guard)",
             f"{sw_rss / 1024:.2f} MB vs {sd_rss / 1024:.2f} MB: "
             f"{cell(r, 3)} of it", med(r) <= 0.1)
    others = [(n, med(get("memory", n, "rss"))) for n in peers
              if n not in (sw, "supervisord")]
    others = [(n, v) for n, v in others if v]
    if sw_rss and others:
        worst = min(others, key=lambda nv: nv[1])
        goal("RSS below every peer's supervise + log processes",
             f"{sw_rss / 1024:.2f} MB; smallest peer: {worst[0]} "
             f"{worst[1] / 1024:.2f} MB",
             all(sw_rss < v for _, v in others))
        r = ratio_cells("memory", sw, worst[0], "rss")
        if r:
            goal(f"RSS ratio to the smallest peer ({worst[0]}), same round",
                 f"{cell(r, 2)}×", med(r) < 1)
    sw_pss = med(get("memory", sw, "pss"))
    others = [(n, med(get("memory", n, "pss"))) for n in peers
              if n not in (sw, "supervisord")]
    others = [(n, v) for n, v in others if v]
    if sw_pss and others:
        worst = min(others, key=lambda nv: nv[1])
        goal("PSS below every peer's supervise + log processes (a static "
             "binary shares its pages with no other program; each further "
             "svcwrap service shares them)",
             f"{sw_pss / 1024:.2f} MB; smallest peer: {worst[0]} "
             f"{worst[1] / 1024:.2f} MB",
             all(sw_pss < v for _, v in others))
    for variant, label in (("plain", "no rotation"),
                           ("rotate", "10 MB rotation")):
        key = f"log-{variant}"
        # Against `writer | cat > file` (the baseline the goal names), and,
        # stricter, against the faster cat of the same round, whichever
        # channel fed it; the verdict takes the stricter one.
        r_pipe = ratio_cells(key, sw, "cat > file", "mbs",
                             den_metric="log-plain")
        r = [x for x in (
            ratio_cells(key, sw, ["cat > file", CatSocketBaseline.name],
                        "mbs", den_metric="log-plain"))]
        if r:
            cpu_sw = med(get(key, sw, "cpu_ms"))
            cpu_cat = [med(get("log-plain", n, "cpu_ms"))
                       for n in ("cat > file", CatSocketBaseline.name)]
            cpu_cat = [c for c in cpu_cat if c]
            cpu_txt = (f"; CPU for {LOG_MB} MB: {cpu_sw:.0f} ms vs cat's "
                       f"{min(cpu_cat):.0f} ms" if cpu_sw and cpu_cat else "")
            pipe_txt = (f"{cell([x * 100 for x in r_pipe], 0)} % of "
                        "`writer \\| cat > file`; " if r_pipe else "")
            goal(f"log throughput ≥ 80% of `cat > file` ({label})",
                 f"{pipe_txt}{cell([x * 100 for x in r], 0)} % of the "
                 f"faster cat of the same round (pipe or socketpair)"
                 f"{cpu_txt}", med(r) >= 0.8)
    for variant, label in (("plain", "no rotation"),
                           ("rotate", "10 MB rotation")):
        key = f"log-{variant}"
        swv = med(get(key, sw, "mbs"))
        peerv = [(n, med(get(key, n, "mbs"))) for n in peers if n != sw]
        peerv = [(n, v) for n, v in peerv if v]
        if swv and peerv:
            best = max(peerv, key=lambda nv: nv[1])
            goal(f"log throughput ≥ every peer's logger ({label})",
                 f"{swv:.0f} MB/s; fastest peer: {best[0]} {best[1]:.0f} MB/s",
                 all(swv >= v for _, v in peerv))
    r = ratio_cells("restart", sw, "sh loop", "rate")
    if r:
        goal("restart rate (zero delay) ≥ 80% of a bare shell loop",
             f"{med(get('restart', sw, 'rate')):.0f}/s vs "
             f"{med(get('restart', 'sh loop', 'rate')):.0f}/s: "
             f"{cell([x * 100 for x in r], 0)} %", med(r) >= 0.8)
    idle = get("idle", sw, "total")
    if idle:
        goal(f"idle: 0 syscalls in {IDLE_SECONDS} s", cell(idle, 0),
             max(idle) == 0)
    st = get("stop", sw, "ms")
    if st:
        goal("stop latency < 10 ms beyond the child's own exit (native)",
             f"{cell(st, 2)} ms", med(st) < 10)
    L.append("")
    L.append("Why a goal is missed, and what would close it: see "
             "[bench/README.md](../bench/README.md#findings).\n")

    # Restart notes.
    L.append("## Restart rate: what the peers enforce\n")
    L.append("Every peer was configured for the fastest restart it allows "
             "(bench/README.md lists the settings). What is measured is "
             "reported as is; where a peer enforces a minimum delay, that "
             "is why:\n")
    for name, why in RESTART_WHY.items():
        if name in peers:
            L.append(f"- {name}: {cell(get('restart', name, 'rate'), 1) or '—'}"
                     f"/s. {why}")
    L.append("")

    # Wine.
    L.append("## Windows under Wine\n")
    w = RESULTS.get("wine")
    if not w or (w.get("error") and not w.get("rows")):
        L.append(f"Not measured: {w.get('error') if w else 'skipped'}\n")
    else:
        L.append(f"{w.get('version', 'wine')}, a private prefix. Latency: "
                 "bench/scbench.exe, a Windows program, calls StartServiceW "
                 "/ ControlService(STOP) and polls QueryServiceStatusEx every "
                 "millisecond until RUNNING / STOPPED (QueryPerformanceCounter)"
                 ". Memory: GetProcessMemoryInfo on the service process, 1 s "
                 "after RUNNING (Wine answers it from the Linux process), and "
                 "RSS/PSS of the Linux process that is the Wine process "
                 "(smaps_rollup). svcwrap runs bench's testchild.exe "
                 "(`--sleep -1`), stopped by `ctrl-c` (Wine 8 cannot deliver "
                 "CTRL_BREAK); its figures do not include the child's.\n")
        L.append("| service | sc start → RUNNING ms | sc stop → STOPPED ms | "
                 "working set MB | peak WS MB | Linux RSS MB | "
                 "Linux PSS MB |")
        L.append("|---|---|---|---|---|---|---|")
        for name, label in (("swbench", "svcwrap.exe (the wrapper alone; "
                             "WS2_32, IPHLPAPI, USERENV delay-loaded)"),
                            ("swnodelay", "svcwrap.exe with those imported "
                             "at load (as before)"),
                            ("minsvc", "minimal service (bench/minsvc.c)")):
            row = w["rows"].get(name)
            if not row:
                L.append(f"| {label} | not measured | | | | | |")
                continue
            rss = w["rss"].get(name, [])
            L.append(f"| {label} | {cell(row['start'], 1)} | "
                     f"{cell(row['stop'], 1)} | "
                     f"{cell(row['ws'], 2, 1 / 1024)} | "
                     f"{cell(row['peak'], 2, 1 / 1024)} | "
                     f"{cell([a for a, _ in rss], 2, 1 / 1024) or '—'} | "
                     f"{cell([b for _, b in rss], 2, 1 / 1024) or '—'} |")
        L.append("")
        extra = []
        imp = w.get("imports", {})

        def imports(exe_name):
            return ", ".join(imp.get(exe_name, [])) or "?"
        what = {"swchild.exe": "the child (testchild.exe `--exit 0`; "
                               f"imports {imports('swchild.exe')})",
                "minsvc.exe": "minsvc.exe (outside the SCM its dispatcher "
                              "fails at once; imports "
                              f"{imports('minsvc.exe')})",
                "swbench.exe": "svcwrap.exe `version` (imports "
                               f"{imports('swbench.exe')} at load)",
                "swnodelay.exe": "svcwrap.exe `version` without delay-"
                                 f"loading (imports {imports('swnodelay.exe')})"}
        for exe_name, runs in (w.get("spawn") or {}).items():
            extra.append(
                f"CreateProcessW of {what.get(exe_name, exe_name)}: "
                f"{cell([x[0] for x in runs], 1)} ms until it returns, "
                f"{cell([x[1] for x in runs], 1)} ms until the process "
                "has exited")
        if w["rows"].get("swbench") and w["rows"].get("minsvc"):
            gap = med(w["rows"]["swbench"]["start"]) - \
                med(w["rows"]["minsvc"]["start"])
            extra.append(f"the start gap to the minimal service: {gap:.0f} "
                         "ms (medians)")
        if w["rows"].get("swbench") and w["rows"].get("swnodelay"):
            a, b = w["rows"]["swbench"]["start"], w["rows"]["swnodelay"]["start"]
            diffs = [y - x for x, y in zip(a, b)]
            extra.append("what delay-loading WS2_32, IPHLPAPI and USERENV "
                         "saves at `sc start` (the two started in ABBA order "
                         "in each round, paired differences): "
                         f"{cell(diffs, 1)} ms, "
                         f"{med(diffs) / med(b) * 100:.0f} % of the start "
                         "without it")
        if w.get("own_start_ms"):
            extra.append("svcwrap's own work, from its first log line (after "
                         "the process started and read its INI) to "
                         "reporting RUNNING (child started): "
                         f"{cell(w['own_start_ms'], 0)} ms (its log's "
                         "millisecond time stamps)")
        if w.get("console"):
            extra.append("AllocConsole() from a process without one (as "
                         "svcwrap does for a ctrl-c/ctrl-break ladder): "
                         f"{cell([x[0] for x in w['console']], 1)} ms")
        if w.get("child_rss"):
            extra.append("the child testchild.exe itself: "
                         f"{cell([a for a, _ in w['child_rss']], 2, 1 / 1024)}"
                         " MB RSS")
        if extra:
            L.append("What process start costs under the same Wine:\n")
            L.extend(f"- {x}" for x in extra)
            L.append("")
        if w.get("procs"):
            for name, procs in w["procs"].items():
                L.append(f"Processes in the prefix while {name} ran: "
                         + ", ".join(procs) + ".")
        if w.get("size"):
            sz = w["size"]
            L.append("")
            L.append(f"svcwrap.exe: {sz['built'] / 1024:.0f} KiB as built "
                     f"(static, with debug info), {sz['stripped'] / 1024:.0f} "
                     f"KiB stripped; the minimal service stripped: "
                     f"{sz['minsvc_stripped'] / 1024:.0f} KiB.")
        if w.get("errors"):
            L.append("")
            L.append("Errors: " + "; ".join(w["errors"][:5]))
        L.append("")

    if "scm-cycles" in RESULTS:
        L.extend(scm_section())

    # Details.
    L.append("## Details\n")
    L.append("Memory per process (median of the runs, kB RSS / PSS):\n")
    for name in peers:
        pers = get("memory", name, "per")
        if not pers:
            continue
        labels = list(pers[0].keys())
        parts = []
        for lab in labels:
            rs = [p[lab][0] for p in pers if lab in p]
            ps = [p[lab][1] for p in pers if lab in p]
            parts.append(f"{lab} {med(rs):.0f} / {med(ps):.0f}")
        L.append(f"- {name}: " + ", ".join(parts))
    L.append("")
    L.append("Peak RSS of the supervising processes while logging 200 MB "
             "(VmHWM summed, MB; no rotation / rotation):\n")
    for name in peers:
        a = cell(get("log-plain", name, "peak_kb"), 1, 1 / 1024)
        b = cell(get("log-rotate", name, "peak_kb"), 1, 1 / 1024)
        if a or b:
            L.append(f"- {name}: {a or '—'} / {b or '—'}")
    L.append("")
    L.append(f"CPU time of the supervising processes (logger included) "
             f"for {LOG_MB} MB, ms (schedstat; less noisy than MB/s on a "
             "shared machine; no rotation / rotation):\n")
    for name in peers + ["cat > file", CatSocketBaseline.name]:
        a = cell(get("log-plain", name, "cpu_ms"), 0)
        b = cell(get("log-rotate", name, "cpu_ms"), 0)
        if a or b:
            L.append(f"- {name}: {a or '—'} / {b or '—'}")
    L.append("")
    L.append("Log verification (every run: line count, the sequence number "
             "at each file boundary, the last line):\n")
    for name in peers + ["cat > file", CatSocketBaseline.name]:
        for variant in ("plain", "rotate"):
            ver = get(f"log-{variant}", name, "verified")
            files = get(f"log-{variant}", name, "files")
            splits = get(f"log-{variant}", name, "splits")
            if ver:
                bad = [v for v in ver if v != "ok"]
                L.append(f"- {name}, {variant}: "
                         + (f"{len(ver)}/{len(ver)} runs complete"
                            if not bad else f"PROBLEMS: {bad[0]}")
                         + (f", {med(files):.0f} file(s)" if files else "")
                         + (f", {max(splits)} line(s) cut in two by a "
                            "rotation" if splits and max(splits) else ""))
    L.append("")
    L.append(f"Idle system calls in {IDLE_SECONDS} s, by call (median):\n")
    for name in peers:
        calls = get("idle", name, "calls")
        if not calls:
            continue
        keys = sorted({k for c in calls for k in c},
                      key=lambda k: -med([c.get(k, 0) for c in calls]))
        txt = ", ".join(f"{k} {med([c.get(k, 0) for c in calls]):.0f}"
                        for k in keys[:8])
        L.append(f"- {name}: {txt or 'none'}")
    L.append("")
    L.append("CPU time of the supervising processes per restart, µs "
             "(schedstat over the window; the child's own time, fork's "
             "child side included, is not in it):\n")
    for name in ["sh loop"] + peers:
        c = cell(get("restart", name, "cpu_us"), 0)
        if c:
            L.append(f"- {name}: {c}")
    sw_exit = get("stop", sw, "wrapper_exit_ms")
    if sw_exit:
        L.append("")
        L.append(f"svcwrap itself exits {cell(sw_exit, 2)} ms after its "
                 "child's exit (pidfd on the wrapper).")
    errs = []
    for metric, per in RESULTS.items():
        if metric in ("wine", "scm-cycles"):
            continue
        for name, d in per.items():
            for e in d.get("errors", []):
                errs.append(f"- {metric}, {name}: {e[:300]}")
    if errs:
        L.append("")
        L.append("Failures during the run:\n")
        L.extend(errs)
    L.append("")
    return "\n".join(L), verdicts


RESTART_WHY = {
    "svcwrap": "`[restart] policy = always, delay = 0, burst = 0`: no delay, "
               "no limit.",
    "supervisord": "`startsecs=0, autorestart=true, startretries=1e9`: no "
                   "backoff applies (each run counts as RUNNING), but the "
                   "EXITED → STARTING transition is made only at the top of "
                   "its main loop, which then sleeps in poll() for up to "
                   "1 s with nothing left to wake it (its log shows "
                   "`spawned` once a second).",
    "runit": "runsv will not start a service again within 1 s of its "
             "previous start (built in, not configurable).",
    "s6": "s6-supervise does not start a service again sooner than 1 s "
          "after its previous start (built in).",
    "daemontools": "supervise sleeps 1 s after every start of the service "
                   "(built in).",
    "pm2": "`autorestart, restart_delay 0, min_uptime 0, max_restarts 1e9`;"
           " each restart goes through node's event loop and child_process.",
}


# ---- main -----------------------------------------------------------------------

def cleanup_all():
    reap_popens()
    for _ in range(20):
        left = pids_naming(str(BENCH) + "/")
        if not left:
            break
        kill_naming(str(BENCH) + "/")
        time.sleep(0.05)
    if WINEPREFIX.exists() and shutil.which("wineserver"):
        try:
            wineserver("-k", timeout=30)
        except subprocess.TimeoutExpired:
            pass
    reap_popens()


def on_signal(signum, frame):
    raise SystemExit(128 + signum)


def main_scm_cycles(from_json):
    """`--only scm-cycles`: no peers, no native build; only the doc's
    start/stop reliability section is rewritten. from_json: no
    measurement, the section is written again from that run's raw
    numbers."""
    if from_json:
        RESULTS["scm-cycles"] = json.loads(Path(from_json).read_text())
    else:
        build_helpers()
        RUNS.mkdir(parents=True, exist_ok=True)
        try:
            run_scm_cycles()
        finally:
            cleanup_all()
    lines = scm_section()
    print()
    print("\n".join(lines))
    if not os.environ.get("BENCH_NO_DOC"):
        update_doc_section(lines)
        log(f"updated {DOC.relative_to(ROOT)}: {SCM_HEADING[3:]}")
    if not from_json:
        (BENCH / "scm-cycles.json").write_text(json.dumps(
            RESULTS["scm-cycles"], indent=1, default=str))
    log(f"done in {(time.monotonic() - T_START) / 60:.1f} min")


def main():
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    if ONLY == {"scm-cycles"}:
        main_scm_cycles(ARGS.from_json)
        return
    loads = [Path("/proc/loadavg").read_text().split()[0], None]
    r = subprocess.run([str(ROOT / "scripts" / "bench-setup")])
    if r.returncode != 0:
        log("bench-setup failed: peers that are missing are reported as such")
    build_helpers()
    RUNS.mkdir(parents=True, exist_ok=True)
    if not SVCWRAP.exists():
        sys.exit(f"{SVCWRAP} is missing: run make static first")

    runnable = []
    versions = {}
    for cls in PEERS:
        why = cls.available()
        if why:
            log(f"{cls.name}: cannot run: {why}")
            for metric in ("memory", "log-plain", "log-rotate", "restart",
                           "idle", "stop"):
                record_error(metric, cls.name, f"not run: {why}")
            continue
        runnable.append(cls)
        versions[cls.name] = cls.version()
    versions["strace"] = deb_version("strace") or "?"
    try:
        if want("memory"):
            log("memory and stop latency")
            for r in range(STOP_REPEATS):
                for cls in runnable:
                    run_sleep_session(cls, r)
        if want("log"):
            log(f"log throughput: {LOG_MB} MB of {LINE_BYTES}-byte lines")
            for r in range(LOG_REPEATS):
                for variant in ("plain", "rotate"):
                    if variant == "plain":
                        run_log(CatBaseline, variant, r)
                        run_log(CatSocketBaseline, variant, r)
                    for cls in runnable:
                        if variant == "rotate" and not cls.can_rotate:
                            continue
                        run_log(cls, variant, r)
        if want("restart"):
            log(f"restart rate over {RESTART_SECONDS:.0f} s")
            for r in range(REPEATS):
                for cls in [LoopBaseline] + runnable:
                    run_restart(cls, r)
        if want("idle"):
            log(f"idle syscalls over {IDLE_SECONDS} s, all peers at once")
            for r in range(REPEATS):
                run_idle(runnable, r)
        if want("wine"):
            run_wine()
        if want("scm-cycles"):
            run_scm_cycles()
    finally:
        cleanup_all()
    loads[1] = Path("/proc/loadavg").read_text().split()[0]
    wall = time.monotonic() - T_START
    if RESULTS.get("wine", {}).get("version"):
        versions["wine"] = RESULTS["wine"]["version"]
    report, verdicts = build_report(versions, loads, wall)
    if not os.environ.get("BENCH_NO_DOC"):
        import figures  # bench/figures.py
        drawn = figures.draw(RESULTS, DOC.parent, [p.name for p in PEERS])
        if drawn:
            fig = ["## Figures\n", "Drawn from this run's numbers by "
                   "bench/figures.py (matplotlib); bars are medians, "
                   "whiskers min–max.\n"]
            fig += [f"![{alt}]({name})\n" for name, alt in drawn]
        else:
            fig = ["## Figures\n", "Not drawn: python3-matplotlib is not "
                   "installed (scripts/bench-setup installs it).\n"]
        report = report.replace("\n## Restart rate: what the peers enforce",
                                "\n" + "\n".join(fig) +
                                "\n## Restart rate: what the peers enforce", 1)
    print()
    print(report)
    if not os.environ.get("BENCH_NO_DOC"):
        DOC.write_text(report)
        log(f"wrote {DOC.relative_to(ROOT)}")
    (BENCH / "results.json").write_text(json.dumps(RESULTS, indent=1,
                                                   default=str))
    log(f"done in {wall / 60:.1f} min")


if __name__ == "__main__":
    if ARGS.from_json:
        main()  # measures nothing: nothing of another run's to end
    else:
        try:
            main()
        finally:
            cleanup_all()
