# SPDX-License-Identifier: MIT
"""Who may read what the wrapper creates on POSIX: log files 0640, the
log folder 0750, the status socket 0600 (set before it listens), and a
status client that checks the server's pid."""
import os
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
    0640, the folder 0750, the socket 0600 (the lock file 0600)."""
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
    assert "perm.svcwrap.log" in files and "perm.out.log" in files, files
    sock = logs / "perm.sock"
    assert stat.S_ISSOCK(os.lstat(sock).st_mode)
    assert mode(sock) == 0o600, oct(mode(sock))
    assert mode(logs / "perm.sock.lock") == 0o600
    rc, doc = ctx.status_json(path)
    assert rc == 0 and doc["wrapper_pid"] == w.pid, doc
    w.signal(signal.SIGTERM)
    assert w.wait(5) == 0, w.log()
