# SPDX-License-Identifier: MIT
"""make dist (docs/building.md): the release archives in build/dist/. The
Windows zip's svcwrap.exe imports only DLLs that ship with Windows, and
libuv's extra DLLs only delay-loaded; the zip's example.ini passes
`check`; the Linux binary is static and prints the version the archive is
named after; SHA256SUMS matches. Runs `make dist` (seconds once `make win
static` are built, as in `make test`)."""
import hashlib
import os
import re
import subprocess
import tarfile
import zipfile

import pytest

from conftest import REPO

# DLLs every Windows 10/11 installation has. Kept apart from
# scripts/dist's own list on purpose: this is the test of that one.
WINDOWS_DLLS = {"advapi32.dll", "kernel32.dll", "msvcrt.dll", "user32.dll",
                "ws2_32.dll", "iphlpapi.dll", "userenv.dll", "ntdll.dll",
                "powrprof.dll", "psapi.dll", "ole32.dll", "shell32.dll",
                "dbghelp.dll"}
DELAY_LOADED = {"ws2_32.dll", "iphlpapi.dll", "userenv.dll"}


@pytest.fixture(scope="module")
def dist():
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    r = subprocess.run(["make", "-s", "dist"], cwd=REPO, env=env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f"make dist failed:\n{r.stdout}{r.stderr}"
    version = subprocess.run([str(REPO / "scripts" / "version")],
                             capture_output=True, text=True,
                             check=True).stdout.strip()
    return REPO / "build" / "dist", version


def test_zip_exe_imports_only_windows_dlls(dist, tmp_path):
    out, version = dist
    top = f"svcwrap-{version}-windows-x86_64"
    with zipfile.ZipFile(out / f"{top}.zip") as z:
        names = set(z.namelist())
        for want in ("svcwrap.exe", "example.ini", "README.md", "LICENSE",
                     "docs/configuration.md", "docs/cli.md",
                     "licenses/libuv.txt", "licenses/cJSON.txt",
                     "licenses/inih.txt"):
            assert f"{top}/{want}" in names, sorted(names)
        exe = tmp_path / "svcwrap.exe"
        exe.write_bytes(z.read(f"{top}/svcwrap.exe"))
    r = subprocess.run(["x86_64-w64-mingw32-objdump", "-p", str(exe)],
                       capture_output=True, text=True, check=True)
    imported = {d.lower() for d in re.findall(r"^\s*DLL Name: (\S+)",
                                              r.stdout, re.M)}
    assert "kernel32.dll" in imported, r.stdout
    assert imported <= WINDOWS_DLLS, f"not Windows' own: {imported - WINDOWS_DLLS}"
    assert not imported & DELAY_LOADED, f"imported at load: {imported & DELAY_LOADED}"
    # Every DLL the file names (delay-loaded ones, LoadLibrary's) too.
    named = {m.decode().lower() for m in
             re.findall(rb"[A-Za-z0-9_.-]+\.[dD][lL][lL](?![A-Za-z0-9])",
                        exe.read_bytes())}
    assert DELAY_LOADED <= named, named
    assert named <= WINDOWS_DLLS, f"not Windows' own: {named - WINDOWS_DLLS}"
    # Stripped: no debug sections.
    r = subprocess.run(["x86_64-w64-mingw32-objdump", "-h", str(exe)],
                       capture_output=True, text=True, check=True)
    assert ".debug_info" not in r.stdout


def test_zip_example_ini_passes_check(dist, ctx):
    out, version = dist
    top = f"svcwrap-{version}-windows-x86_64"
    with zipfile.ZipFile(out / f"{top}.zip") as z:
        ini = ctx.scratch / "example.ini"
        ini.write_bytes(z.read(f"{top}/example.ini"))
    r = ctx.run_svcwrap(["check", "-c", ini])
    assert r.returncode == 0, r.stderr
    assert "error" not in r.stderr, r.stderr
    assert "name = MyGoService" in r.stdout, r.stdout


def test_tarball_binary_is_static_and_versioned(dist, tmp_path):
    out, version = dist
    top = f"svcwrap-{version}-linux-x86_64"
    with tarfile.open(out / f"{top}.tar.gz") as t:
        member = t.getmember(f"{top}/svcwrap")
        assert member.mode & 0o111, oct(member.mode)
        t.extract(member, tmp_path)  # our own archive, just built
        assert f"{top}/example.ini" in t.getnames()
        # Built with musl (make static): its licence ships beside the others.
        for lic in ("libuv", "cJSON", "inih", "musl"):
            assert f"{top}/licenses/{lic}.txt" in t.getnames(), t.getnames()
    binary = tmp_path / top / "svcwrap"
    r = subprocess.run(["readelf", "-h", "-l", "-d", str(binary)],
                       capture_output=True, text=True, check=True)
    assert "INTERP" not in r.stdout and "NEEDED" not in r.stdout, r.stdout
    # static-pie: position-independent (ASLR), no loader.
    assert re.search(r"Type:\s+DYN", r.stdout), r.stdout
    r = subprocess.run([str(binary), "version"], capture_output=True,
                       text=True, check=True)
    assert re.fullmatch(rf"svcwrap {re.escape(version)} \(libuv \d+\.\d+\.\d+, "
                        r"cJSON \d+\.\d+\.\d+, inih \d+\)\n", r.stdout), r.stdout


def test_sha256sums_match(dist):
    out, version = dist
    lines = (out / "SHA256SUMS").read_text().splitlines()
    listed = dict(reversed(l.split("  ", 1)) for l in lines)
    assert set(listed) == {f"svcwrap-{version}-windows-x86_64.zip",
                           f"svcwrap-{version}-linux-x86_64.tar.gz"}, listed
    for name, digest in listed.items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest, name
