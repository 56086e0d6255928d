# SPDX-License-Identifier: MIT
"""[metrics] under Wine's SCM: the textfile (rewritten over itself, as
windows_exporter's textfile collector reads it) and GET /metrics, both
parsed by prometheus_client's parser."""
import socket
import urllib.request

import pytest

from conftest import wait_until, winpath

parser = pytest.importorskip(
    "prometheus_client.parser",
    reason="python3-prometheus-client is missing; scripts/setup installs it")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def values(text):
    return {(s.name, frozenset(s.labels.items())): s.value
            for fam in parser.text_string_to_metric_families(text)
            for s in fam.samples}


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
