# SPDX-License-Identifier: MIT
"""The child's logs and the wrapper's own: rotation that never splits or
loses a line, bounded retention, time stamps, merged streams, crash
context, on-demand rotation, and a full disk."""
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import SVCWRAP, FifoReader, scaled, wait_pid_file, wait_until
from test_posix_supervisor import Files, service_ini

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from logcheck import (LINE_BYTES, LINES, SEQ,  # noqa: E402
                      all_files_oldest_first, check_sequence, rotated)

def run_writer(ctx, name, extra_log, lines=LINES):
    """The child prints `lines` numbered 100-byte lines at full speed and
    exits 0; returns the [log] stdout path after the wrapper ended."""
    out = ctx.scratch / "logs" / f"{name}.out.log"
    ini = service_ini(ctx, name, f"--lines {lines} --line-bytes {LINE_BYTES}",
                      f"""
                      [restart]
                      policy = no
                      [log]
                      timestamps = false
                      {extra_log}
                      """)
    w = ctx.wrapper(ini)
    assert w.wait(120) == 0, w.log()
    return out


def env_small_quarantine(ctx):
    """The wrapper's environment with ASan's quarantine of freed memory
    (256 MB by default) cut to 1 MB, so memory figures measure svcwrap,
    not ASan."""
    env = ctx.env()
    env["ASAN_OPTIONS"] = env["ASAN_OPTIONS"] + ":quarantine_size_mb=1"
    return env


def test_rotation_keeps_every_line(ctx):
    out = run_writer(ctx, "rot", "max_size = 64KB\nkeep = 1000")
    files = all_files_oldest_first(out)
    # 20 MB in 64 KB files, none over the limit (whole lines fit).
    assert len(files) >= LINES * LINE_BYTES // (64 * 1024)
    for f in files:
        assert f.stat().st_size <= 64 * 1024, f"{f.name} is over max_size"
    check_sequence(files, 1, LINES)


def test_rotation_keeps_only_keep_files(ctx):
    out = run_writer(ctx, "keep3", "max_size = 64KB\nkeep = 3")
    olds = sorted(p.name for p in out.parent.glob("keep3.out.*.log"))
    assert olds == ["keep3.out.1.log", "keep3.out.2.log", "keep3.out.3.log"]
    files = all_files_oldest_first(out)
    first = int(SEQ.match(files[0].read_bytes().split(b"\n")[0]).group(1))
    check_sequence(files, first, LINES)   # the newest lines, contiguous


def test_timestamps_and_merged_streams(ctx):
    both = ctx.scratch / "logs" / "both.log"
    ini = service_ini(ctx, "merged", "--lines 3 --stderr-lines 2 --partial tail",
                      """
                      [restart]
                      policy = no
                      [log]
                      stdout = both.log
                      stderr = both.log
                      """)
    w = ctx.wrapper(ini)
    assert w.wait(10) == 0, w.log()
    lines = both.read_text().splitlines()
    stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d "
    assert len(lines) == 6, lines
    for line in lines:
        assert re.match(stamp, line), line
    bodies = sorted(l.split(" ", 1)[1][:9] for l in lines)
    assert bodies == ["00000001 ", "00000002 ", "00000003 ", "E00000001",
                      "E00000002", "tail"], bodies
    # The partial last line (no newline) is completed, not lost.
    assert lines[-1].endswith(" tail") or any(l.endswith(" tail") for l in lines)


def test_line_longer_than_max_size_written_whole(ctx):
    ini = service_ini(ctx, "long2", "--lines 3 --line-bytes 5000",
                      """
                      [restart]
                      policy = no
                      [log]
                      timestamps = false
                      max_size = 1KB
                      keep = 10
                      """)
    w = ctx.wrapper(ini)
    assert w.wait(10) == 0, w.log()
    out = ctx.scratch / "logs" / "long2.out.log"
    files = all_files_oldest_first(out)
    sizes = [f.stat().st_size for f in files]
    assert sizes == [5000, 5000, 5000], sizes   # one whole line per file


def test_crash_context_in_wrapper_log(ctx):
    ini = service_ini(ctx, "crash", "--lines 30 --crash",
                      """
                      [restart]
                      policy = no
                      [log]
                      tail_lines = 5
                      """)
    w = ctx.wrapper(ini)
    assert w.wait(10) == 1
    log = (ctx.scratch / "logs" / "crash.svcwrap.log").read_text()
    assert re.search(r"child pid \d+ killed by signal 11", log), log
    assert "the child's last 5 lines before signal 11:" in log, log
    tail = re.findall(r"warning:   \| (\d{8}) x+$", log, re.M)
    assert tail == [f"{n:08d}" for n in range(26, 31)], tail


def test_rotate_on_demand(ctx):
    f = Files(ctx.scratch)
    ini = service_ini(ctx, "ondemand",
                      f"--ready-file {f.ready} --lines 10 --sleep -1")
    w = ctx.wrapper(ini)
    wait_pid_file(f.ready)
    out = ctx.scratch / "logs" / "ondemand.out.log"
    wait_until(lambda: out.exists() and out.stat().st_size > 0, 5,
               "the child's output on disk")
    r = ctx.run_svcwrap(["rotate", "-c", str(ini)])
    assert r.returncode == 0 and "logs rotated" in r.stdout, r.stdout + r.stderr
    # The rotation is queued behind the output already read (the writer
    # thread does it), so it may land just after the verb returns.
    wlog = ctx.scratch / "logs" / "ondemand.svcwrap.log"
    wait_until(lambda: rotated(wlog, 1).exists(), 5,
               "the wrapper log to rotate too")
    assert rotated(out, 1).exists() and rotated(out, 1).read_text().count("\n") == 10
    w.signal(signal.SIGUSR1)            # the same, by signal
    wait_until(lambda: rotated(wlog, 2).exists(), 5, "a second rotation")
    w.signal(signal.SIGTERM)
    assert w.wait(10) == 0


def test_rotate_without_wrapper(ctx):
    ini = service_ini(ctx, "nowrapper", "--sleep 1")
    r = ctx.run_svcwrap(["rotate", "-c", str(ini)])
    assert r.returncode == 3 and "no running wrapper answers" in r.stderr


def test_wrapper_log_is_bounded(ctx):
    """Hundreds of restarts: the wrapper log rotates like the child's."""
    ini = service_ini(ctx, "chatty", "--exit 1",
                      """
                      [restart]
                      policy = always
                      delay = 0
                      burst = 0
                      [log]
                      max_size = 4KB
                      keep = 2
                      """)
    w = ctx.wrapper(ini)
    wlog = ctx.scratch / "logs" / "chatty.svcwrap.log"
    wait_until(lambda: rotated(wlog, 2).exists(), 20, "two rotations")
    wait_until(lambda: "restart 60 " in w.log(), 20, "60 restarts")
    w.signal(signal.SIGTERM)
    assert w.wait(10) == 0
    names = sorted(p.name for p in wlog.parent.glob("chatty.svcwrap*"))
    assert names == ["chatty.svcwrap.1.log", "chatty.svcwrap.2.log",
                     "chatty.svcwrap.log"], names
    for p in wlog.parent.glob("chatty.svcwrap*"):
        assert p.stat().st_size <= 4096


@pytest.fixture
def tmpfs(ctx):
    """A 512 KB tmpfs (needs root and mount permission)."""
    d = ctx.scratch / "small"
    d.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs",
                        str(d)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs to fill: {r.stderr.strip()}")
    yield d
    subprocess.run(["umount", "-l", str(d)])


def test_disk_full_drops_then_resumes(ctx, tmpfs):
    """The log disk fills: the child keeps running unblocked, the dropped
    bytes are counted exactly and reported once, no line is torn (a write
    that stopped part way through a line is cut back), and writing
    resumes when space is freed."""
    ballast = tmpfs / "ballast"
    ballast.write_bytes(b"\0" * 440 * 1024)  # about 70 KB stay free
    script = ctx.scratch / "writer.sh"
    seq = ctx.scratch / "seq"
    stop = ctx.scratch / "stop"
    final = ctx.scratch / "final"
    # A line every millisecond or so, with its number also written to a
    # file outside the full disk: proof that the child is never blocked.
    # Once `stop` exists it writes no more and records how many it wrote.
    script.write_text("i=0\nwhile [ ! -e " + str(stop) + " ]; do i=$((i+1)); "
                      "printf '%08d writer\\n' $i; echo $i > " + str(seq) +
                      "; sleep 0.001; done\necho $i > " + str(final) +
                      ".tmp; mv " + str(final) + ".tmp " + str(final) +
                      "\nexec sleep 600\n")
    ini = service_ini(ctx, "full", str(script), f"""
                      [log]
                      directory = {tmpfs}
                      timestamps = false
                      max_size = 10MB
                      """, executable="/bin/sh")
    w = ctx.wrapper(ini)

    wait_until(lambda: "dropping output until it can be written" in w.log(),
               60, "output to be dropped on the full disk")
    _, st = ctx.status_json(ini)
    assert st["log_dropped_bytes"] > 0, st
    def child_count():
        # The shell truncates the file before it writes the number: an
        # empty read is a moment between the two, not a zero.
        text = ""
        deadline = time.monotonic() + 10
        while not text.strip() and time.monotonic() < deadline:
            text = seq.read_text()
        return int(text)

    n_full = child_count()
    wait_until(lambda: child_count() > n_full + 200, 30,
               "the child to keep running while its output is dropped")
    assert w.log().count("dropping output") == 1, "reported once per incident"
    ballast.unlink()
    wait_until(lambda: "works again" in w.log(), 30, "writing to resume")
    out = tmpfs / "full.out.log"
    last = int(out.read_bytes().split(b"\n")[-2].split()[0])
    assert last > n_full, "lines written after space was freed"
    stop.touch()
    wait_until(final.exists, 10, "the child to stop writing")
    n = int(final.read_text())
    wait_until(lambda: out.read_bytes().endswith(b"%08d writer\n" % n), 10,
               "the child's last line in the log")
    data = out.read_bytes()
    lines = data.split(b"\n")
    assert lines[-1] == b""
    bad = [l for l in lines[:-1] if not re.fullmatch(rb"\d{8} writer", l)]
    assert bad == [], f"torn or glued lines: {bad[:3]}"
    numbers = [int(l[:8]) for l in lines[:-1]]
    assert numbers == sorted(set(numbers)), "lines in order, none twice"
    _, st = ctx.status_json(ini)
    written = n * len(b"00000000 writer\n")
    assert st["log_dropped_bytes"] == written - len(data), \
        (st["log_dropped_bytes"], written, len(data))
    w.signal(signal.SIGTERM)
    assert w.wait(10) == 0


# ---- bounded line buffer ------------------------------------------------

# The marker that ends every piece of a line split at the buffer bound
# (docs/configuration.md, [log]).
SPLIT_MARK = b" [svcwrap: line continues]\n"
LONG_LINE_BYTES = 64 * 1024 * 1024
SVCWRAP_KIND = "sanitized" if "posix-san" in str(SVCWRAP) else "release"


def long_line_child(ctx, done):
    """A child that writes LONG_LINE_BYTES without a newline (a counter
    pattern, so lost or reordered pieces show), touches `done`, sleeps."""
    script = ctx.scratch / "longline.py"
    script.write_text(
        "import os, sys, time\n"
        f"n = {LONG_LINE_BYTES}\n"
        "block = b''.join(b'%07d|' % i for i in range(8192))\n"
        "out = sys.stdout.buffer\n"
        "while n > 0:\n"
        "    k = min(n, len(block))\n"
        "    out.write(block[:k]); n -= k\n"
        "out.flush()\n"
        f"open({str(done)!r}, 'w').close()\n"
        "time.sleep(600)\n")
    return script


def expected_long_line():
    block = b"".join(b"%07d|" % i for i in range(8192))
    whole, rest = divmod(LONG_LINE_BYTES, len(block))
    return block * whole + block[:rest]


def vm_hwm_kb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmHWM for pid {pid}")


def test_line_without_newline_is_bounded(ctx):
    """64 MiB without a newline: written in marked pieces as it arrives
    (not held until the child exits), the wrapper's memory stays bounded,
    the pieces put back together are the input, and status counts the
    split line."""
    done = ctx.scratch / "done"
    ini = service_ini(ctx, "longline",
                      str(long_line_child(ctx, done)), """
                      [restart]
                      policy = no
                      [log]
                      timestamps = false
                      max_size = 1GB
                      """, executable=sys.executable)
    env = env_small_quarantine(ctx)
    w = ctx.wrapper(ini, env=env)
    out = ctx.scratch / "logs" / "longline.out.log"
    wait_until(done.exists, 120, "the child to write 64 MiB")
    # Everything but the last piece (the line has not ended) is on disk
    # while the child still runs.
    wait_until(lambda: out.exists() and out.stat().st_size
               >= LONG_LINE_BYTES - 64 * 1024, 60,
               "the pieces to reach the log while the child runs")
    hwm = vm_hwm_kb(w.pid)
    print(f"wrapper VmHWM with a 64 MiB line: {hwm} kB ({SVCWRAP_KIND})")
    limit = 20 * 1024
    assert hwm < limit, f"wrapper peak RSS {hwm} kB"
    _, st = ctx.status_json(ini)
    assert st["log_split_lines"] == 1, st
    w.signal(signal.SIGTERM)
    assert w.wait(20) == 0, w.log()
    data = out.read_bytes()
    pieces = data.split(b"\n")
    assert pieces[-1] == b"", "the log ends with a whole line"
    assert len(pieces) > 2 and all(
        p.endswith(SPLIT_MARK[:-1]) for p in pieces[:-2]), \
        "every piece but the last carries the marker"
    assert max(len(p) for p in pieces) <= 64 * 1024 + len(SPLIT_MARK), \
        "pieces are at most the buffer bound plus the marker"
    assert data.replace(SPLIT_MARK, b"")[:-1] == expected_long_line()


# ---- the writer thread ----------------------------------------------------

def test_stalled_log_disk_does_not_stall_the_loop(ctx):
    """The child's log is a FIFO nobody reads yet: the writer thread blocks
    opening it. The loop still answers status at once, stops reading the
    child when the queue is full (the child blocks, memory stays bounded,
    nothing is dropped), and every line arrives once the FIFO is read."""
    logs = ctx.scratch / "logs"
    logs.mkdir()
    fifo = logs / "stall.out.log"
    os.mkfifo(fifo)
    lines = 200_000    # 20 MB, five times the writer's queue
    ini = service_ini(ctx, "stall", f"--lines {lines} --line-bytes {LINE_BYTES}",
                      """
                      [restart]
                      policy = no
                      [log]
                      timestamps = false
                      max_size = 1GB
                      """)
    env = env_small_quarantine(ctx)
    w = ctx.wrapper(ini, env=env)
    wait_until(lambda: re.search(r"started .*, pid \d+", w.log()), 10,
               "the child to start")
    slowest = 0.0
    for _ in range(10):
        t0 = time.monotonic()
        rc, st = ctx.status_json(ini, timeout=5)
        slowest = max(slowest, time.monotonic() - t0)
        assert rc == 0 and st["state"] == "running", st
        time.sleep(0.1)
    print(f"slowest status while the log is stalled: {slowest * 1000:.0f} ms")
    hwm = vm_hwm_kb(w.pid)
    print(f"wrapper VmHWM while stalled: {hwm} kB ({SVCWRAP_KIND})")
    assert hwm < 24 * 1024, f"wrapper peak RSS {hwm} kB: the queue is bounded"
    assert w.running(), "the child is held by back pressure, not finished"

    reader = FifoReader(fifo)
    assert w.wait(60) == 0, w.log()
    assert reader.join(10), "the wrapper closed the FIFO at exit"
    out = ctx.scratch / "got.log"
    out.write_bytes(bytes(reader.data))
    check_sequence([out], 1, lines)
    assert "dropp" not in w.log(), w.log()


def test_stalled_log_disk_does_not_hold_a_stop(ctx):
    """The child's log is a FIFO nobody ever reads: the writer is stuck and
    the child is held by back pressure. SIGTERM must still end svcwrap in
    bounded time: the exit's drain waits for the writer a bounded while
    (one more drain period: 4 s in all), the end waits for the queue
    LOG_CLOSE_GRACE_MS, then what is not written is given up, said on
    stderr, and svcwrap exits (0: a clean stop)."""
    logs = ctx.scratch / "logs"
    logs.mkdir()
    os.mkfifo(logs / "stuck.out.log")
    ini = service_ini(ctx, "stuck", f"--lines 200000 --line-bytes {LINE_BYTES}",
                      """
                      [stop]
                      timeout = 1s
                      [restart]
                      policy = no
                      [log]
                      timestamps = false
                      max_size = 1GB
                      """)
    w = ctx.wrapper(ini)
    wait_until(lambda: re.search(r"started .*, pid \d+", w.log()), 10,
               "the child to start")
    time.sleep(0.5)  # the queue fills and reading pauses
    assert w.running()
    t0 = time.monotonic()
    w.signal(signal.SIGTERM)
    rc = w.wait(scaled(30))
    took = time.monotonic() - t0
    log = w.log()
    print(f"stop with a stalled log: svcwrap exited after {took:.1f}s")
    assert rc == 0, log
    # The child blocks in its write, so ctrl-break's 1 s passes and
    # terminate ends it; then 2 drain periods of 2 s, 5 s of grace, slack.
    assert took < scaled(14), (took, log)
    assert "could not be killed" not in log, log
    assert "the output still in its pipes is given up" in log, log
    assert re.search(r"the log files took nothing for 5000ms \(or were still "
                     r"writing after 60000ms\); giving up \d+ "
                     r"bytes not yet written and exiting", log), log
