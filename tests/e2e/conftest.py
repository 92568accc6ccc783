"""Fixtures for the end-to-end suite: one sandboxed Asterisk per session, real
ARI applications per test, and calls that are always hung up afterwards.

SB_TARGET=stock runs the same suite against the stock modules (to see which
[strict] behaviours they lack); the default is our modules, built and installed
with make install. SB_TARGET=system runs it against the modules the installed
Asterisk's module directory has: ours, once their package is installed (tests/deb).
"""

import os
import sys
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "sandbox" / "lib"))

from ari import App, Ari, Observer, Racer  # noqa: E402
from instance import Instance  # noqa: E402

TARGET = os.environ.get("SB_TARGET", "ours")


def pytest_configure(config):
    config.addinivalue_line("markers", "strict: a [strict] row of the SPEC (stock modules differ)")
    config.addinivalue_line("markers", "ours_only: checks something only our modules have")
    config.addinivalue_line("markers", "edge: in the subset the edge releases of the matrix run "
                            "(tests/run.sh --edge)")
    config.addinivalue_line("markers", "instance: starts an Asterisk of its own (slow under "
                            "the sanitizers, which run only some of these)")


def pytest_collection_modifyitems(config, items):
    if TARGET != "stock":
        return
    skip = pytest.mark.skip(reason="checks our modules only")
    for item in items:
        if "ours_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def asterisk():
    instance = Instance("e2e-" + TARGET, 8088, stock=(TARGET == "stock"),
                        system_modules=(TARGET == "system")).start()
    yield instance
    instance.stop()


@pytest.fixture(scope="session")
def ari(asterisk):
    return Ari(asterisk.port)


@pytest.fixture(scope="session")
def samples():
    """An instance running configs/samples/ as shipped (only the port moved)."""
    instance = Instance("samples", 8094, overlay=REPO / "configs" / "samples").start()
    yield instance
    instance.stop()


@pytest.fixture
def sample_ari(samples):
    return Ari(samples.port, user="asterisk", password="asterisk")  # samples' ari.conf


@pytest.fixture(scope="session")
def node_modules():
    """The Node example's dependencies (ari-client), installed from its lock
    file before the sandbox went offline (sandbox/enter.sh)."""
    installed = REPO / "examples" / "node" / "node_modules" / "ari-client"
    assert installed.is_dir(), "examples/node/node_modules is missing (run through sandbox/enter.sh)"


@pytest.fixture
def prefix():
    """A name prefix unique to the test, so filters can select its apps."""
    return "t" + uuid.uuid4().hex[:8] + "-"


class AppFactory:
    def __init__(self, ari, prefix):
        self.ari = ari
        self.prefix = prefix
        self.opened = []

    def app(self, name, **kwargs):
        return self._keep(App(self.ari, self.prefix + name, **kwargs))

    def racer(self, name, **kwargs):
        return self._keep(Racer(self.ari, self.prefix + name, **kwargs))

    def racers(self, count, **kwargs):
        return [self.racer(f"racer{i}", **kwargs) for i in range(count)]

    def _keep(self, app):
        self.opened.append(app)
        return app

    def close_all(self):
        for app in self.opened:
            app.close()


@pytest.fixture
def apps(ari, prefix):
    factory = AppFactory(ari, prefix)
    yield factory
    factory.close_all()


@pytest.fixture
def observer(ari):
    """Told every call's outcome; its name never matches a test's prefix."""
    app = Observer(ari, "observer-" + uuid.uuid4().hex[:8])
    yield app
    app.close()


class Calls:
    """Originates calls with StasisBroadcast() arguments; hangs them all up."""

    def __init__(self, ari, observer):
        self.ari = ari
        self.observer = observer
        self.made = []

    def offer(self, timeout=None, app_filter=None, args=None, notify=None, options=None,
              exten="offer", observed=True, variables=None):
        values = {"BC_TIMEOUT": timeout, "BC_FILTER": app_filter, "BC_ARGS": args,
                  "BC_NOTIFY": notify, "BC_OPTIONS": options,
                  "BC_OBSERVER": self.observer.name if observed else None}
        values = {k: str(v) for k, v in values.items() if v is not None}
        values.update(variables or {})
        call = self.ari.originate(exten, values)
        self.made.append(call)
        return call

    def hangup_all(self):
        for call in self.made:
            call.hangup()


@pytest.fixture
def calls(ari, observer):
    made = Calls(ari, observer)
    yield made
    made.hangup_all()
