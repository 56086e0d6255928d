# SPDX-License-Identifier: MIT
"""Who may read what the wrapper creates on POSIX: log files 0640, the
log folder 0750, the status socket 0600 (set before it listens) in a
0700 folder of its own, and the connection cap and idle timeout."""
import os
import re
import signal
import stat

from conftest import TESTCHILD, wait_pid_file, wait_until, write_ini


def ini(ctx, name, ready):
    return write_ini(ctx.scratch,
                     f"[service]\nname = {name}\n\n[process]\n"
                     f"executable = {TESTCHILD}\n"
                     f"arguments = --ready-file {ready} --lines 1 --sleep -1\n")


def mode(p):
    return stat.S_IMODE(os.lstat(p).st_mode)


def test_log_files_folder_and_socket_modes(ctx):
    """Even with umask 000, nothing is open to others: the log files are
    0640, the folder 0750, the socket 0600 (and its lock file) in a 0700
    folder."""
    ready = ctx.scratch / "ready"
    path = ini(ctx, "perm", ready)
    old = os.umask(0)
    try:
        w = ctx.wrapper(path)
    finally:
        os.umask(old)
    wait_pid_file(ready)
    w.wait_log(r"starting -> running")
    logs = ctx.scratch / "logs"
    wait_until(lambda: (logs / "perm.out.log").exists(), 5, "the out log")
    assert mode(logs) == 0o750, oct(mode(logs))
    files = sorted(p.name for p in logs.iterdir())
    for p in logs.iterdir():
        if p.name.endswith(".log"):
            assert mode(p) == 0o640, (p.name, oct(mode(p)))
    assert files == [".svcwrap", "perm.out.log", "perm.svcwrap.log"], files
    private = logs / ".svcwrap"
    assert mode(private) == 0o700, oct(mode(private))
    sock = private / "perm.sock"
    assert stat.S_ISSOCK(os.lstat(sock).st_mode)
    assert mode(sock) == 0o600, oct(mode(sock))
    assert mode(private / "perm.sock.lock") == 0o600
    rc, doc = ctx.status_json(path)
    assert rc == 0 and doc["wrapper_pid"] == w.pid, doc
    w.signal(signal.SIGTERM)
    assert w.wait(5) == 0, w.log()


def test_open_endpoint_folder_is_closed_again(ctx):
    """A .svcwrap folder someone made more open (0777) is made 0700 again
    at the next start; one that is a symlink is refused."""
    ready = ctx.scratch / "ready"
    path = ini(ctx, "reopen", ready)
    private = ctx.scratch / "logs" / ".svcwrap"
    private.mkdir(parents=True)
    private.chmod(0o777)
    w = ctx.wrapper(path)
    wait_pid_file(ready)
    w.wait_log(r"starting -> running")
    assert mode(private) == 0o700, oct(mode(private))
    w.signal(signal.SIGTERM)
    assert w.wait(5) == 0, w.log()
    for p in private.iterdir():
        p.unlink()
    private.rmdir()
    elsewhere = ctx.scratch / "elsewhere"
    elsewhere.mkdir()
    private.symlink_to(elsewhere)
    w = ctx.wrapper(path, name="second")
    assert w.wait(5) == 1, w.log()
    assert re.search(r"\.svcwrap is not a folder of uid \d+ \(it is a file or "
                     r"link", w.log()), w.log()


def test_connection_cap_and_idle_timeout(ctx):
    """Clients that connect and never hang up cannot starve the wrapper:
    past 16 at once the newest are closed at once, the others are closed
    after the idle timeout, and status keeps answering throughout."""
    import socket
    import time

    from conftest import scaled

    ready = ctx.scratch / "ready"
    path = ini(ctx, "cap", ready)
    w = ctx.wrapper(path)
    wait_pid_file(ready)
    w.wait_log(r"starting -> running")
    sock_path = str(ctx.scratch / "logs" / ".svcwrap" / "cap.sock")
    held = []
    for _ in range(24):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sock_path)
        held.append(s)

    def closed_by_server(s, timeout):
        """Read the status line (if any), then wait for EOF."""
        s.settimeout(timeout)
        data = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    return True, data
                data += chunk
        except socket.timeout:
            return False, data

    # The newest ones were closed without an answer.
    refused = 0
    for s in held[16:]:
        eof, data = closed_by_server(s, scaled(2))
        assert eof, "a connection over the cap stayed open"
        refused += data == b""
    assert refused >= 1, "no connection over the cap was refused"
    assert "more than 16 connections at once" in w.log()
    # The first 16 got their status line and are closed after the idle
    # timeout although they never hang up.
    for s in held[:16]:
        eof, data = closed_by_server(s, scaled(10))
        assert eof and data.startswith(b"{"), data
    rc, doc = ctx.status_json(path)
    assert rc == 0 and doc["wrapper_pid"] == w.pid, doc
    for s in held:
        s.close()
    w.signal(signal.SIGTERM)
    assert w.wait(5) == 0, w.log()
