# SPDX-License-Identifier: MIT
"""Checks of rotated log files, shared by the native and Wine log tests."""
import re
from pathlib import Path

LINES = 200_000
LINE_BYTES = 100
SEQ = re.compile(rb"^(\d{8}) x+$")


def rotated(path, n):
    """name.log -> name.<n>.log (svcwrap's numbering: 1 is the newest)."""
    path = Path(path)
    return path.with_name(f"{path.stem}.{n}{path.suffix}")


def all_files_oldest_first(path):
    """The rotated files from oldest to newest, then the current one."""
    n = 1
    olds = []
    while rotated(path, n).exists():
        olds.append(rotated(path, n))
        n += 1
    return list(reversed(olds)) + [Path(path)]


def check_sequence(files, first, last):
    """Every line first..last exactly once, whole, in order, across files."""
    expect = first
    for f in files:
        data = f.read_bytes()
        assert data == b"" or data.endswith(b"\n"), f"{f.name} ends mid-line"
        for line in data.split(b"\n")[:-1]:
            m = SEQ.match(line)
            assert m and len(line) == LINE_BYTES - 1, \
                f"{f.name}: split or damaged line {line[:40]!r}"
            assert int(m.group(1)) == expect, \
                f"{f.name}: line {int(m.group(1))} where {expect} was due"
            expect += 1
    assert expect == last + 1, f"lines end at {expect - 1}, want {last}"
