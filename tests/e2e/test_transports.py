"""SPEC section 4: the claim over every ARI transport of the host, with the same
answers as over HTTP: a RESTRequest down the application's own WebSocket
(20.14+, 22.4+, 23.0+), and the WebSocket of an outbound connection that
Asterisk itself dialled (20.15+, 22.5+, 23.0+)."""

import re
import shutil
import tempfile
from pathlib import Path

import pytest

from agents import AgentProcess, agent_command
from ari import Ari, Observer, OutboundServer, Racer
from helpers import OUTBOUND_WEBSOCKET, REST_OVER_WEBSOCKET, check_outcome, only, release
from waiting import wait_until
from instance import Instance

from conftest import REPO

pytestmark = [pytest.mark.edge,
              pytest.mark.skipif(not REST_OVER_WEBSOCKET,
                                 reason="this Asterisk has no REST over WebSocket")]

NOT_FOUND = {"message": "Channel not found or not in broadcast state"}


def decided(racers, call, ari, timeout=5.0):
    """Once every racer has its answer: exactly one 204, the others 409 (the
    winner holds the call meanwhile). Then the winner lets it go on."""
    wait_until(lambda: all(call.channel_id in r.claims for r in racers), timeout,
               "every racer's answer")
    answers = {r.name: r.claims[call.channel_id] for r in racers}
    winners = [r for r in racers if answers[r.name] == 204]
    assert len(winners) == 1 and sorted(answers.values())[1:] == [409] * (len(racers) - 1), \
        answers
    winners[0].wait_for("StasisStart", call.channel_id)
    ari.continue_in_dialplan(call.channel_id)
    return winners[0].name


def test_race_decided_over_rest_over_websocket(apps, calls, observer, ari):
    racers = apps.racers(6, over_ws=True, release=False)
    for _ in range(5):
        call = calls.offer(timeout=5000, app_filter=only(apps))
        winner = decided(racers, call, ari)
        check_outcome(observer.result(call), "SUCCESS", winner, recipients=6)
        started = [r.name for r in racers if r.find("StasisStart", call.channel_id)]
        assert started == [winner]


def test_http_and_websocket_racers_on_one_call(apps, calls, observer, ari):
    racers = [apps.racer(f"ws{i}", over_ws=True, release=False) for i in range(3)] + \
        [apps.racer(f"http{i}", release=False) for i in range(3)]
    kinds = set()
    for _ in range(10):
        call = calls.offer(timeout=5000, app_filter=only(apps))
        winner = decided(racers, call, ari)
        kinds.add(winner[len(apps.prefix):][:2])
        check_outcome(observer.result(call), "SUCCESS", winner, recipients=6)
    print(f"\n  mixed racers, 10 calls: won by {sorted(kinds)}")


def test_answers_over_websocket_are_the_http_answers(apps, calls, observer, ari):
    first, second = apps.app("first"), apps.app("second")
    call = calls.offer(timeout=5000, app_filter=only(apps))
    first.wait_for("CallBroadcast", call.channel_id)
    second.wait_for("CallBroadcast", call.channel_id)

    assert first.rest("POST", first.claim_uri(call.channel_id)) == (204, None)
    assert second.rest("POST", second.claim_uri(call.channel_id)) == (409, {
        "message": "Channel has already been claimed by another application"})
    assert first.rest("POST", first.claim_uri("no-such-channel")) == (404, NOT_FOUND)
    assert first.rest("POST", "events/claim?application=x") == (
        400, {"message": "channelId parameter is required"})
    assert first.rest("POST", "events/claim?channelId=c") == (
        400, {"message": "application parameter is required"})
    assert first.rest("POST", "events/claim", body={"channelId": "c", "application": "a"}) == (
        404, NOT_FOUND)
    assert first.rest("GET", "events/claim?channelId=c&application=a")[0] == 405
    first.wait_for("StasisStart", call.channel_id)
    ari.continue_in_dialplan(call.channel_id)
    check_outcome(observer.result(call), "SUCCESS", first.name)


def test_claim_over_websocket_after_a_timeout_is_404(apps, calls, observer):
    idle = apps.app("idle")
    call = calls.offer(timeout=100, app_filter=only(apps))
    assert observer.result(call)[0] == "TIMEOUT"
    assert idle.claim_over_ws(call.channel_id) == 404


def test_not_a_recipient_over_websocket_is_404(apps, calls, observer):
    offered, other = apps.app("offered"), apps.app("other")
    call = calls.offer(timeout=3000, app_filter=f"^{offered.name}$")
    offered.wait_for("CallBroadcast", call.channel_id)
    assert other.claim_over_ws(call.channel_id) == 404
    assert offered.claim_over_ws(call.channel_id) == 204
    release(offered, call)
    check_outcome(observer.result(call), "SUCCESS", offered.name)


def test_winner_sees_stasis_start_and_the_answer(apps, calls, observer):
    """Over one WebSocket, the claim's answer and the winner's StasisStart may
    come in either order (two threads write it); both always come."""
    racer = apps.racer("solo", over_ws=True)
    orders = []
    for _ in range(20):
        call = calls.offer(timeout=5000, app_filter=only(apps))
        answer = racer.wait_until(lambda e: e.get("type") == "RESTResponse"
                                  and e.get("request_id") == call.channel_id, 5, "the answer")
        start = racer.wait_for("StasisStart", call.channel_id)
        assert answer["status_code"] == 204
        orders.append("answer first" if racer.events.index(answer) < racer.events.index(start)
                      else "StasisStart first")
        assert observer.result(call)[0] == "SUCCESS"
    print(f"\n  claim over WebSocket, 20 calls: answer first {orders.count('answer first')}, "
          f"StasisStart first {orders.count('StasisStart first')}")


def test_python_example_claims_over_its_websocket(ari):
    """examples/python --claim-over ws: the claim as a RESTRequest."""
    agent = AgentProcess(agent_command("python", "ex-ws", [f"http://127.0.0.1:{ari.port}"],
                                       hold_ms=100, extra=["--claim-over", "ws"]), "ex-ws")
    try:
        for _ in range(3):
            call = ari.originate("offer", {"BC_TIMEOUT": "5000", "BC_FILTER": "^ex-ws$"})
            agent.wait_call("WON", call.channel_id)
            agent.wait_call("hung up", call.channel_id)
    finally:
        agent.stop()


# --- outbound WebSockets: Asterisk dials the application -------------------

OUTBOUND_PORT = 8170    # our server in the test
EXAMPLE_PORT = 8171     # examples/python --listen, configured as the guide says
OUTBOUND_APP = "sb-outbound"
EXAMPLE_APP = "cloud-1"
OUTBOUND_ARI = """\
[general]
enabled = yes

[test]
type = user
password = test

[asterisk]
type = user
password = asterisk
"""
OUTBOUND_SECTIONS = """
[{app}]
type = outbound_websocket
websocket_client_id = {app}
apps = {app}
local_ari_user = test
"""
WEBSOCKET_CLIENT = """
[{app}]
type = websocket_client
connection_type = persistent
uri = ws://127.0.0.1:{port}/
protocols = ari
reconnect_interval = 200
"""


def guide_configuration():
    """The guide's outbound configuration: (ari.conf part, websocket_client.conf
    part), dialling our example on EXAMPLE_PORT."""
    block = re.search(r"```ini\n(.*?)```", (REPO / "docs" / "guide.md").read_text(), re.S).group(1)
    ari, _, client = block.partition("; websocket_client.conf\n")
    client = re.sub(r"(?m)^uri = \S+", f"uri = ws://127.0.0.1:{EXAMPLE_PORT}/", client)
    assert f"apps = {EXAMPLE_APP}" in ari and f":{EXAMPLE_PORT}/" in client
    return ari, client


@pytest.fixture(scope="module")
def outbound():
    """An instance with two persistent outbound connections: to our server,
    and, configured as the guide says, to the Python example listening."""
    guide_ari, guide_client = guide_configuration()
    overlay = Path(tempfile.mkdtemp(prefix="sb-outbound-"))
    (overlay / "ari.conf").write_text(OUTBOUND_ARI + OUTBOUND_SECTIONS.format(app=OUTBOUND_APP)
                                      + guide_ari)
    (overlay / "websocket_client.conf").write_text(
        WEBSOCKET_CLIENT.format(app=OUTBOUND_APP, port=OUTBOUND_PORT) + guide_client)
    ari = Ari(8160)
    server = OutboundServer(ari, OUTBOUND_PORT)
    instance = Instance("outbound", 8160, overlay=overlay).start()
    try:
        agent = server.accept(OUTBOUND_APP, kind=Racer, over_ws=True)
        yield ari, agent
        agent.close()
    finally:
        instance.stop()
        server.close()
        shutil.rmtree(overlay, ignore_errors=True)


@pytest.mark.instance
@pytest.mark.skipif(not OUTBOUND_WEBSOCKET, reason="this Asterisk has no outbound WebSockets")
def test_python_example_as_the_server_of_an_outbound_connection(outbound):
    ari, _ = outbound
    agent = AgentProcess(agent_command("python", EXAMPLE_APP, [], hold_ms=100,
                                       extra=["--listen", f"127.0.0.1:{EXAMPLE_PORT}"]),
                         EXAMPLE_APP, ready="listening")
    try:
        agent.wait_line(f"{EXAMPLE_APP}: Asterisk connected", timeout=15)
        for _ in range(3):
            call = ari.originate("offer", {"BC_TIMEOUT": "5000", "BC_FILTER": f"^{EXAMPLE_APP}$"})
            agent.wait_call("WON", call.channel_id)
            agent.wait_call("hung up", call.channel_id)
    finally:
        agent.stop()


@pytest.mark.instance
@pytest.mark.skipif(not OUTBOUND_WEBSOCKET, reason="this Asterisk has no outbound WebSockets")
def test_outbound_websocket_application_is_offered_and_claims(outbound):
    ari, agent = outbound
    observer = Observer(ari, "observer-outbound")
    try:
        for _ in range(5):
            call = ari.originate("offer", {"BC_TIMEOUT": "5000", "BC_FILTER": f"^{OUTBOUND_APP}$",
                                           "BC_OBSERVER": observer.name})
            agent.wait_for("CallBroadcast", call.channel_id)
            agent.wait_until(lambda e: e.get("type") == "RESTResponse"
                             and e.get("request_id") == call.channel_id, 5, "its answer")
            assert agent.claims[call.channel_id] == 204
            agent.wait_for("StasisStart", call.channel_id)
            check_outcome(observer.result(call), "SUCCESS", OUTBOUND_APP, recipients=1)
            call.hangup()
    finally:
        observer.close()
