# SPDX-License-Identifier: MIT
"""Prometheus text helpers, shared by the native and Wine metrics tests:
the exposition parsed by a real parser (Debian's python3-prometheus-client,
prometheus_client.parser.text_string_to_metric_families)."""
import socket

import pytest

parser = pytest.importorskip(
    "prometheus_client.parser",
    reason="python3-prometheus-client is missing; scripts/setup installs it")


def free_port():
    """A loopback TCP port that was free a moment ago."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def samples(text):
    """{(name, frozenset(labels)): value} and the families' types."""
    out, types = {}, {}
    for fam in parser.text_string_to_metric_families(text):
        types[fam.name] = fam.type
        for s in fam.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out, types


def value(smp, name, **labels):
    """The sample name{labels} of samples()'s first result, or None."""
    return smp.get((name, frozenset(labels.items())))
