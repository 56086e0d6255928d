# SPDX-License-Identifier: MIT
"""The log tests of tests/integration/test_posix_logs.py, for svcwrap.exe
under Wine: rotation that never splits or loses a line, bounded
retention, crash context, and rotation through SCM control code 128."""
import re
import sys
from pathlib import Path

from conftest import WIN, wait_until, wine, winpath

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from logcheck import (LINE_BYTES, LINES, SEQ,  # noqa: E402
                      all_files_oldest_first, check_sequence, rotated)

CHILD = WIN / "testchild.exe"


def run_writer(service, keep):
    service.write_child_ini(
        f'--lines {LINES} --line-bytes {LINE_BYTES}',
        f"""[restart]
policy = no
[log]
timestamps = false
max_size = 64KB
keep = {keep}
""")
    service.install()
    service.scm.start(service.name)
    service.scm.wait_state(service.name, "STOPPED", 120)
    assert service.scm.query(service.name) == ("STOPPED", 0, 0), \
        service.wrapper_log()
    return service.dir / "logs" / f"{service.name}.out.log"


def test_rotation_keeps_every_line(service):
    out = run_writer(service, 1000)
    files = all_files_oldest_first(out)
    assert len(files) >= LINES * LINE_BYTES // (64 * 1024)
    for f in files:
        assert f.stat().st_size <= 64 * 1024, f"{f.name} is over max_size"
    check_sequence(files, 1, LINES)


def test_rotation_keeps_only_keep_files(service):
    out = run_writer(service, 3)
    olds = sorted(p.name for p in out.parent.glob(f"{service.name}.out.*.log"))
    assert olds == [f"{service.name}.out.{n}.log" for n in (1, 2, 3)], olds
    files = all_files_oldest_first(out)
    first = int(SEQ.match(files[0].read_bytes().split(b"\n")[0]).group(1))
    check_sequence(files, first, LINES)


def test_rotation_over_a_deleted_file_and_prune(service):
    """Old numbered files from an earlier run: one in the middle deleted by
    hand (rotation moves on over the gap, it does not stop), one beyond
    keep (removed at start, and logged)."""
    logs = service.dir / "logs"
    logs.mkdir(exist_ok=True)
    for n in (1, 3, 7):
        (logs / f"{service.name}.out.{n}.log").write_bytes(b"old\n")
    out = run_writer(service, 4)
    olds = sorted(p.name for p in logs.glob(f"{service.name}.out.*.log"))
    assert olds == [f"{service.name}.out.{n}.log" for n in (1, 2, 3, 4)], olds
    for p in all_files_oldest_first(out):
        assert p.stat().st_size <= 64 * 1024, f"{p.name} is over max_size"
    files = all_files_oldest_first(out)
    first = int(SEQ.match(files[0].read_bytes().split(b"\n")[0]).group(1))
    check_sequence(files, first, LINES)
    log = service.wrapper_log()
    assert re.search(rf"removed .*{service.name}\.out\.7\.log "
                     r"\(beyond keep = 4\)", log), log


def test_crash_context(service):
    service.write_child_ini(
        '--lines 30 --crash',
        """[restart]
policy = no
[log]
tail_lines = 5
""")
    service.install()
    service.scm.start(service.name)
    service.scm.wait_state(service.name, "STOPPED", 60)
    assert service.scm.query(service.name) == ("STOPPED", 1066, 0xC0000005)
    log = service.wrapper_log()
    assert "exited with code 0xC0000005" in log, log
    assert ("the child's last 5 lines before exit code 3221225477 "
            "(0xC0000005):") in log, log
    tail = re.findall(r"warning:   \| (\d{8}) x+\r?$", log, re.M)
    assert tail == [f"{n:08d}" for n in range(26, 31)], tail


def test_rotate_by_scm_control_128(service):
    ready = service.dir / "ready"
    service.write_child_ini(
        f'--ready-file "{winpath(ready)}" --lines 10 --sleep -1',
        """[stop]
method = ctrl-c, terminate
""")
    service.install()
    service.scm.start(service.name)
    wait_until(ready.exists, 30, "the child's ready file")
    out = service.dir / "logs" / f"{service.name}.out.log"
    wait_until(lambda: out.exists() and out.stat().st_size > 0, 10,
               "the child's output on disk")
    rc, o, e = wine([CHILD, "--scm-control", service.name, "128"],
                    out_dir=service.dir)
    assert rc == 0, o + e
    wait_until(lambda: rotated(out, 1).exists(), 10, "the rotation")
    assert rotated(out, 1).read_text().count("\n") == 10
    wlog = service.dir / "logs" / f"{service.name}.svcwrap.log"
    # Logged just before the wrapper log itself rotated.
    assert "rotating logs on request" in rotated(wlog, 1).read_text()
    # And through the endpoint, with svcwrap's own verb.
    rc, o, e = service.svcwrap("rotate")
    assert rc == 0 and "logs rotated" in o, o + e
    wait_until(lambda: rotated(service.dir / "logs" /
                               f"{service.name}.svcwrap.log", 2).exists(),
               10, "the wrapper log rotated twice")
