"""Our modules load wherever the stock ones load (SPEC sections 6 and 8): minimal
configurations, res_prometheus in every state, ARI or HTTP disabled, no
documentation XML, and modules loaded and unloaded by hand in any order.

Each test starts an Asterisk with only the configuration files it needs, as
Asterisk's own testsuite does, and checks what an operator would: do the
modules run, is a call offered and claimed. Where the stock modules exist
(Debian's 22.10), every test runs against them too, and ours must load
wherever they load; rows where ours is stricter say so.
"""

import re

import pytest
import requests

from ari import Ari
from helpers import STOCK_EXISTS
from waiting import wait_until
from minimal import ARI, ARI_DISABLED, HTTP, HTTP_DISABLED, METRICS, OURS, PORT, PROMETHEUS, \
    Minimal, ari_files

pytestmark = pytest.mark.instance

TARGETS = ["ours", "stock"] if STOCK_EXISTS else ["ours"]


@pytest.fixture(params=TARGETS)
def target(request):
    return request.param


# --- res_prometheus in every state -----------------------------------------

def test_without_res_prometheus(target):
    with Minimal(target, ari_files(**{"prometheus.conf": PROMETHEUS}),
                 absent=["res_prometheus.so"]) as pbx:
        assert pbx.ours_run()
        pbx.assert_claimed()


@pytest.mark.edge
def test_res_prometheus_declined_without_its_configuration(target):
    """The regression: no prometheus.conf, res_prometheus declines."""
    with Minimal(target, ari_files()) as pbx:
        assert not pbx.running("res_prometheus.so")
        assert pbx.ours_run(), pbx.cli("module show like stasis_broadcast")
        assert not pbx.running(METRICS)
        pbx.assert_claimed()


def test_res_prometheus_noloaded(target):
    with Minimal(target, ari_files(**{"prometheus.conf": PROMETHEUS}),
                 noload=["res_prometheus.so"]) as pbx:
        assert pbx.ours_run()
        assert pbx.metrics() is None
        pbx.assert_claimed()


def test_res_prometheus_loaded_later_unloaded_and_loaded_again(target):
    """Our metrics are a module of their own that requires res_prometheus:
    loaded with it, refused by the loader as a reason to keep it, and never
    in the way of res_stasis_broadcast."""
    with Minimal(target, ari_files(**{"prometheus.conf": PROMETHEUS}),
                 noload=["res_prometheus.so"]) as pbx:
        pbx.cli("module load res_prometheus.so")
        assert pbx.running("res_prometheus.so")
        if target == "ours":
            assert not pbx.running(METRICS), "our metrics module started without res_prometheus"
            pbx.cli(f"module load {METRICS}")
            wait_until(pbx.our_metrics_shown, what="our metrics once res_prometheus loaded")
        pbx.assert_claimed()

        if target == "ours":
            said = pbx.cli("module unload res_prometheus.so")
            assert pbx.running("res_prometheus.so"), f"unloaded under our metrics: {said}"
            pbx.cli(f"module unload {METRICS}")
        said = pbx.cli("module unload res_prometheus.so")
        assert not pbx.running("res_prometheus.so"), said
        assert pbx.metrics() is None
        assert pbx.ours_run()
        pbx.assert_claimed()

        pbx.cli("module load res_prometheus.so")
        if target == "ours":
            pbx.cli(f"module load {METRICS}")
            wait_until(pbx.our_metrics_shown, what="our metrics once res_prometheus is back")
            assert re.search(r"^asterisk_stasis_broadcast_outcomes_total\{outcome=\"claimed\"\} 2$",
                             pbx.metrics(), re.M)
        pbx.assert_claimed()


def test_our_metrics_module_loads_with_res_prometheus_at_boot(target):
    """With prometheus.conf, the loader starts our metrics after res_prometheus,
    at boot; and they do not hold res_stasis_broadcast."""
    if target != "ours":
        pytest.skip("our metrics module only")
    with Minimal(target, ari_files(**{"prometheus.conf": PROMETHEUS})) as pbx:
        assert pbx.running(METRICS), pbx.cli("module show like stasis_broadcast")
        pbx.assert_claimed()
        assert re.search(r"^asterisk_stasis_broadcast_outcomes_total\{outcome=\"claimed\"\} 1$",
                         pbx.metrics(), re.M)
        for module in OURS[::-1]:
            pbx.cli(f"module unload {module}")
            assert not pbx.running(module)
        assert not pbx.our_metrics_shown() and pbx.metrics() is not None
        for module in OURS:
            pbx.cli(f"module load {module}")
        wait_until(pbx.our_metrics_shown, what="our metrics once res_stasis_broadcast is back")
        pbx.assert_claimed()


# --- ARI, HTTP and documentation ----------------------------------------------

def test_ari_disabled_at_start_then_enabled(target):
    with Minimal(target, {"http.conf": HTTP, "ari.conf": ARI_DISABLED}) as pbx:
        assert pbx.ours_run()
        assert requests.get(f"http://127.0.0.1:{PORT}/ari/asterisk/info",
                            auth=("test", "test"), timeout=10).status_code == 404
        assert requests.post(f"http://127.0.0.1:{PORT}/ari/events/claim",
                             params={"channelId": "c", "application": "a"},
                             auth=("test", "test"), timeout=10).status_code == 404
        pbx.write("ari.conf", ARI)
        pbx.cli("module reload res_ari.so")
        wait_until(lambda: requests.get(f"http://127.0.0.1:{PORT}/ari/asterisk/info",
                                        auth=("test", "test"), timeout=10).status_code == 200,
                   what="ARI enabled by the reload")
        pbx.assert_claimed()


def test_without_res_ari_events(target):
    """No events resource: no application can connect, so nobody is offered the
    call, and it returns at once."""
    with Minimal(target, ari_files(), noload=["res_ari_events.so"]) as pbx:
        assert pbx.ours_run()
        ari = Ari(PORT)
        call = ari.originate("offer", {"BC_TIMEOUT": "5000"})
        status, winner, recipients, elapsed = call.wait_global_result(timeout=10)
        assert status == "TIMEOUT"
        if target == "ours":
            assert (recipients, winner) == (0, "")
            assert elapsed < 2000, "nobody to offer the call to: TIMEOUT at once"
        call.hangup()

        pbx.cli("module load res_ari_events.so")
        pbx.assert_claimed()


def test_http_server_disabled(target):
    with Minimal(target, {"http.conf": HTTP_DISABLED, "ari.conf": ARI}) as pbx:
        assert pbx.ours_run()
        pbx.cli("channel originate Local/offer@broadcast extension s@hold")
        wait_until(lambda: "BC_RESULT_=" in pbx.cli("dialplan show globals"),
                   what="the call's outcome")
        result = re.search(r"BC_RESULT_=(\S*)", pbx.cli("dialplan show globals")).group(1)
        assert result.split(":")[0] == "TIMEOUT", result


def test_without_our_documentation(target):
    with Minimal(target, ari_files(), docs=False) as pbx:
        assert pbx.ours_run()
        shown = pbx.cli("core show application StasisBroadcast")
        assert "StasisBroadcast" in shown and "app_filter" in shown, shown
        pbx.assert_claimed()


# --- load order by hand --------------------------------------------------------

def test_loaded_by_hand_in_either_order(target):
    with Minimal(target, ari_files(), noload=list(OURS)) as pbx:
        assert not pbx.running("res_stasis_broadcast.so")
        # The application needs the resource module: refused, as for stock.
        said = pbx.cli("module load app_stasis_broadcast.so")
        assert "Unable to load module app_stasis_broadcast.so" in said, said
        assert not pbx.running("app_stasis_broadcast.so")
        pbx.cli("module load res_stasis_broadcast.so")
        pbx.cli("module load app_stasis_broadcast.so")
        assert pbx.ours_run()
        pbx.assert_claimed()


def test_modules_we_use_cannot_go_while_we_run(target):
    with Minimal(target, ari_files()) as pbx:
        for module in ("res_stasis.so", "res_ari.so"):
            pbx.cli(f"module unload {module}")
            assert pbx.running(module), f"{module} unloaded under a module that requires it"
        pbx.cli("module unload res_stasis_broadcast.so")
        assert pbx.running("res_stasis_broadcast.so"), "unloaded under the application"
        assert pbx.ours_run()
        pbx.assert_claimed()


@pytest.mark.edge
def test_unloaded_and_loaded_again_with_the_modules_around_it(target):
    with Minimal(target, ari_files()) as pbx:
        for module in ("app_stasis_broadcast.so", "res_stasis_broadcast.so"):
            pbx.cli(f"module unload {module}")
            assert not pbx.running(module)
        pbx.cli("module unload res_ari_events.so")
        pbx.cli("module load res_stasis_broadcast.so")
        pbx.cli("module load app_stasis_broadcast.so")
        pbx.cli("module load res_ari_events.so")
        assert pbx.ours_run()
        pbx.assert_claimed()
        # Loaded after everything it uses, too.
        for module in ("app_stasis_broadcast.so", "res_stasis_broadcast.so"):
            pbx.cli(f"module unload {module}")
        for module in ("res_stasis_broadcast.so", "app_stasis_broadcast.so"):
            pbx.cli(f"module load {module}")
        assert pbx.ours_run()
        pbx.assert_claimed()
