"""SPEC section 6: what an operator sees -- CLI, AMI events, Prometheus metrics."""

import re

import pytest
import requests

from helpers import only

from ami import Ami  # sandbox/lib, on the path via conftest

pytestmark = pytest.mark.ours_only


def cli_count(text, label):
    found = re.search(r"^\s*" + re.escape(label) + r":?\s+(\d+)\s*$", text, re.M)
    assert found, f"no '{label}' in:\n{text}"
    return int(found.group(1))


def metric(text, name):
    found = re.search(r"^asterisk_stasis_broadcast_" + re.escape(name) + r" (\S+)$", text, re.M)
    assert found, f"no metric {name}"
    return float(found.group(1))


@pytest.fixture
def ami(asterisk):
    client = Ami(asterisk.port + 1000)
    yield client
    client.close()


def test_show_channels_follows_a_broadcast(apps, calls, observer, asterisk, ari):
    app = apps.app("a")
    call = calls.offer(timeout=5000, app_filter=only(apps))
    app.wait_for("CallBroadcast", call.channel_id)
    row = [line for line in asterisk.cli("stasis broadcast show channels").splitlines()
           if "Local/offer@broadcast-" in line]
    # Offer 1, 1 recipient, none declined, open, no winner yet.
    assert len(row) == 1 and re.search(r"\s1\s+1\s+0\s+open\s+-$", row[0]), row

    assert app.claim(call.channel_id) == 204
    app.wait_for("StasisStart", call.channel_id)
    shown = asterisk.cli("stasis broadcast show channels")
    assert re.search(r"\s1\s+1\s+0\s+claimed\s+" + re.escape(app.name) + "$", shown, re.M), shown

    ari.continue_in_dialplan(call.channel_id)
    observer.result(call)
    assert "0 live broadcasts" in asterisk.cli("stasis broadcast show channels")


def test_statistics_events_and_metrics_match_known_traffic(apps, calls, observer, asterisk,
                                                           ari, ami):
    asterisk.cli("stasis broadcast reset stats")
    racer = apps.racer("racer")
    first, second = apps.app("first"), apps.app("second")
    idle = apps.app("idle")
    racer_only = f"^{racer.name}$"
    pair_only = f"^{apps.prefix}(first|second)$"
    idle_only = f"^{idle.name}$"

    claimed = [calls.offer(timeout=3000, app_filter=racer_only) for _ in range(3)]
    for call in claimed:
        assert observer.result(call)[0] == "SUCCESS"

    contested = calls.offer(timeout=3000, app_filter=pair_only)
    first.wait_for("CallBroadcast", contested.channel_id)
    assert first.claim(contested.channel_id) == 204
    assert second.claim(contested.channel_id) == 409
    assert first.claim(contested.channel_id) == 409
    first.wait_for("StasisStart", contested.channel_id)
    ari.continue_in_dialplan(contested.channel_id)
    assert observer.result(contested)[0] == "SUCCESS"

    timed_out = [calls.offer(timeout=50, app_filter=idle_only) for _ in range(2)]
    for call in timed_out:
        assert observer.result(call)[0] == "TIMEOUT"

    hung_up = calls.offer(timeout=10000, app_filter=idle_only)
    idle.wait_for("CallBroadcast", hung_up.channel_id)
    hung_up.hangup()
    ami.wait_event("StasisBroadcastEnd", Uniqueid=hung_up.channel_id)

    nobody = calls.offer(timeout=3000, app_filter=f"^{apps.prefix}nobody$")
    assert observer.result(nobody)[0] == "TIMEOUT"
    refused = calls.offer(timeout=3000, app_filter="(a+)+")
    assert observer.result(refused)[0] == "FAILED"
    assert ari.claim("no-such-channel", racer.name).status_code == 404
    ami.wait_event("StasisBroadcastEnd", Uniqueid=refused.channel_id)

    # CLI
    stats = asterisk.cli("stasis broadcast show stats")
    expected = {"Broadcasts": 9, "claimed": 4, "timed out": 2, "no recipients": 1,
                "hung up": 1, "failed": 1, "live now": 0,
                "accepted (204)": 4, "conflict (409)": 2, "refused (404)": 1}
    assert {label: cli_count(stats, label) for label in expected} == expected, stats
    assert re.search(r"Claim latency .*, 4 claims", stats)
    assert re.search(r"p50\s+<= \d+\.\d{3} ms", stats)

    # AMI
    everyone = claimed + [contested] + timed_out + [hung_up, nobody, refused]
    ends = {m["Uniqueid"]: m for m in ami.named("StasisBroadcastEnd")}
    statuses = [ends[call.channel_id]["Status"] for call in everyone]
    assert statuses == ["SUCCESS"] * 4 + ["TIMEOUT"] * 2 + ["HANGUP", "TIMEOUT", "FAILED"]
    assert ends[contested.channel_id]["Winner"] == first.name
    assert ends[nobody.channel_id]["Recipients"] == "0"
    begins = {m["Uniqueid"] for m in ami.named("StasisBroadcastBegin")}
    assert begins == {call.channel_id for call in everyone[:-1]}
    claims = ami.named("StasisBroadcastClaimed")
    assert sorted(m["Winner"] for m in claims) == sorted([racer.name] * 3 + [first.name])

    # Prometheus
    text = requests.get(f"http://127.0.0.1:{asterisk.port}/metrics", timeout=10).text
    expected = {"broadcasts_total": 9, 'outcomes_total{outcome="claimed"}': 4,
                'outcomes_total{outcome="timed_out"}': 2,
                'outcomes_total{outcome="no_recipients"}': 1,
                'outcomes_total{outcome="hung_up"}': 1, 'outcomes_total{outcome="failed"}': 1,
                'claims_total{result="accepted"}': 4, 'claims_total{result="conflict"}': 2,
                'claims_total{result="not_found"}': 1, "claim_latency_seconds_count": 4,
                'claim_latency_seconds_bucket{le="+Inf"}': 4, "live": 0}
    assert {name: metric(text, name) for name in expected} == expected

    assert "0 live broadcasts" in asterisk.cli("stasis broadcast show channels")
