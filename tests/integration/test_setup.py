# SPDX-License-Identifier: MIT
"""scripts/setup's deb-src entry comes from the machine's own apt sources
(one-line sources.list and *.list, deb822 *.sources): the mirror of this
release's main suite, whatever its host, with its key. Read from a
made-up apt folder (SVCWRAP_APT_DIR) with --print-deb-src, which changes
nothing."""
import re
import subprocess

from conftest import REPO


def codename():
    text = open("/etc/os-release").read()
    m = re.search(r"^VERSION_CODENAME=\"?([a-z]+)", text, re.M)
    return m[1] if m else "bookworm"


def deb_src(apt_dir):
    r = subprocess.run([str(REPO / "scripts" / "setup"), "--print-deb-src"],
                       env={"PATH": "/usr/bin:/bin", "SVCWRAP_APT_DIR": str(apt_dir)},
                       capture_output=True, text=True, timeout=30)
    return r.returncode, r.stdout, r.stderr


def test_deb822_mirror_and_key(tmp_path):
    c = codename()
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "debian.sources").write_text(
        "Types: deb\n# a comment\nURIs: http://mirror.example:3142/debian\n"
        f"Suites: {c} {c}-updates\nComponents: main contrib\n"
        "Signed-By: /etc/apt/keyrings/site.gpg\n\n"
        "Types: deb\nURIs: http://security.example/debian-security\n"
        f"Suites: {c}-security\nComponents: main\n\n"
        "Types: deb\nURIs: http://disabled.example/debian\nEnabled: no\n"
        f"Suites: {c}\nComponents: main\n")
    (tmp_path / "sources.list.d" / "other.list.disabled").write_text(
        f"deb http://ignored.example/debian {c} main\n")
    rc, out, err = deb_src(tmp_path)
    assert rc == 0, err
    assert out == ("Types: deb-src\nURIs: http://mirror.example:3142/debian\n"
                   "Suites: bookworm trixie\nComponents: main\n"
                   "Signed-By: /etc/apt/keyrings/site.gpg\n"), out


def test_one_line_sources_with_options(tmp_path):
    c = codename()
    (tmp_path / "sources.list").write_text(
        "# deb http://commented.example/debian bookworm main\n"
        f"deb [arch=amd64 signed-by=/usr/share/keyrings/k.gpg] https://a.example/debian {c} main\n"
        f"deb http://b.example/debian {c} main non-free-firmware\n"
        f"deb-src http://src.example/debian {c} main\n"
        f"deb http://c.example/debian {c} contrib\n")
    rc, out, err = deb_src(tmp_path)
    assert rc == 0, err
    assert "URIs: https://a.example/debian http://b.example/debian\n" in out, out
    assert "Signed-By: /usr/share/keyrings/k.gpg\n" in out, out


def test_no_mirror_is_an_error(tmp_path):
    (tmp_path / "sources.list").write_text(
        "deb http://x.example/debian some-other-release main\n")
    rc, out, err = deb_src(tmp_path)
    assert rc == 1 and out == "", out
    assert "no enabled 'deb' entry" in err, err


def test_key_defaults_to_debians_keyring(tmp_path):
    (tmp_path / "sources.list").write_text(
        f"deb http://plain.example/debian {codename()} main\n")
    rc, out, err = deb_src(tmp_path)
    assert rc == 0, err
    assert "URIs: http://plain.example/debian\n" in out
    assert "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n" in out
