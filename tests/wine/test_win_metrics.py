# SPDX-License-Identifier: MIT
"""[metrics] under Wine's SCM: the textfile (rewritten over itself, as
windows_exporter's textfile collector reads it) and GET /metrics, both
parsed by prometheus_client's parser."""
import sys
import urllib.request
from pathlib import Path

from conftest import wait_until, winpath

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from promtext import free_port, samples  # noqa: E402


def values(text):
    return samples(text)[0]


def test_metrics_textfile_and_listener(service):
    ready = service.dir / "ready"
    prom = service.dir / "svc.prom"
    port = free_port()
    service.write_child_ini(
        f'--ready-file "{winpath(ready)}" --sleep -1',
        f"[metrics]\ntextfile = {winpath(prom)}\nlisten = 127.0.0.1:{port}\n"
        "interval = 1s\n")
    service.install()
    service.scm.start(service.name)
    service.scm.wait_state(service.name, "RUNNING")
    wait_until(ready.exists, 30, "the child's ready file")
    svc = {"service": service.name}
    running = ("svcwrap_state", frozenset({**svc, "state": "running"}.items()))

    def file_running():
        try:
            return values(prom.read_text()).get(running) == 1.0
        except (FileNotFoundError, ValueError):
            return False
    wait_until(file_running, 30, "the textfile to show running")
    first = prom.read_text()
    # Rewritten at the interval (the uptime moves), over the old file.
    wait_until(lambda: prom.read_text() != first, 10,
               "the textfile to be rewritten")
    assert not (service.dir / "svc.prom.tmp").exists()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics",
                                timeout=20) as r:
        assert r.headers["Content-Type"] == \
            "text/plain; version=0.0.4; charset=utf-8"
        v = values(r.read().decode())
    assert v[("svcwrap_up", frozenset(svc.items()))] == 1.0
    assert v[running] == 1.0
    service.scm.stop(service.name)
    service.scm.wait_state(service.name, "STOPPED", timeout=60)
    v = values(prom.read_text())
    assert v[("svcwrap_state", frozenset({**svc, "state": "stopped"}.items()))] == 1.0
