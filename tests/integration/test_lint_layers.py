# SPDX-License-Identifier: MIT
"""scripts/lint-layers, the layering rule that `make lint` enforces: the
tree is clean, and each kind of violation is found with file:line."""
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
LINT = ROOT / "scripts" / "lint-layers"


def run(tree):
    return subprocess.run([sys.executable, str(LINT), str(tree)],
                          capture_output=True, text=True)


def test_source_tree_follows_the_layers():
    out = run(ROOT / "src")
    assert out.returncode == 0, out.stdout
    assert "lint-layers: clean" in out.stdout


def test_each_violation_is_named(tmp_path):
    files = {
        "core/a.c": '#include "core/x.h"\n#include "base/log.h"\n',
        "base/b.c": '#include "os/os.h"\n',
        "os/posix/c.c": '#include "app/app.h"\n',
        "os/posix/entry.c": '#include "main.h"\n',   # main's own: fine
        "app/d.c": '#include "os/os.h"\n#ifdef _WIN32\n#endif\n',
        "app/e.h": '#ifdef _WIN32\n#endif\n',         # headers may
        "core/f.c": '#if defined(__linux__)\n#endif\n',
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    out = run(tmp_path)
    assert out.returncode == 1, out.stdout
    lines = sorted(l.split(": ", 1)[0].replace(str(tmp_path) + "/", "")
                   for l in out.stdout.splitlines() if ": " in l
                   and not l.startswith("lint-layers"))
    assert lines == ["app/d.c:2", "base/b.c:1", "core/a.c:2", "core/f.c:1",
                     "os/posix/c.c:1"], out.stdout
