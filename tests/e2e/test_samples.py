"""configs/samples/ behaves as its comments say, loaded as shipped (only the
HTTP port is moved) into its own instance. Each channel is followed through
AMI Newexten events: which outcome branch it took and what it played."""

import pytest

from ami import Ami
from ari import App, Racer

pytestmark = pytest.mark.instance


@pytest.fixture
def ami(samples):
    client = Ami(samples.ami_port)
    yield client
    client.close()


@pytest.fixture
def connect(sample_ari):
    opened = []

    def open_app(name, kind=App, **kwargs):
        app = kind(sample_ari, name, **kwargs)
        opened.append(app)
        return app
    yield open_app
    for app in opened:
        app.close()


def dial(ari, ami, exten, **kwargs):
    """Call EXTEN@from-pstn; returns (call, a function giving the dialplan path)."""
    call = ari.originate(exten, context="from-pstn", **kwargs)

    def path(timeout=15):
        ami.wait_event("Hangup", timeout=timeout, Uniqueid=call.channel_id)
        return [(m["Context"], m["Extension"], m["Application"], m["AppData"])
                for m in ami.named("Newexten", Uniqueid=call.channel_id)]
    return call, path


def outcome(path):
    return [exten for context, exten, *_ in path if context == "outcome"][0]


def played(path):
    return [data.split(",")[0] for _, _, app, data in path if app == "Playback"]


def test_defaults_offer_to_everyone_and_branch(sample_ari, ami, connect):
    racer = connect("anyone", Racer)
    call, path = dial(sample_ari, ami, "100")
    steps = path()
    assert outcome(steps) == "SUCCESS"
    assert any(racer.name in data for _, exten, app, data in steps if app == "Verbose")
    assert racer.find("StasisStart", call.channel_id)


def test_default_timeout_falls_back(sample_ari, ami, connect):
    connect("bystander")
    _, path = dial(sample_ari, ami, "100")
    steps = path()
    assert outcome(steps) == "TIMEOUT"
    assert played(steps) == ["vm-nobodyavail"]


def test_static_filter(sample_ari, ami, connect):
    sales, support, other = connect("sales-1"), connect("support-1"), connect("other-1")
    call, path = dial(sample_ari, ami, "200")
    sales.wait_for("CallBroadcast", call.channel_id)
    support.wait_for("CallBroadcast", call.channel_id)
    assert other.claim(call.channel_id) == 404
    assert sales.claim(call.channel_id) == 204
    sales.wait_for("StasisStart", call.channel_id)
    sample_ari.continue_in_dialplan(call.channel_id)
    assert outcome(path()) == "SUCCESS"
    assert other.find("CallBroadcast") == []


@pytest.mark.parametrize("team, offered", [("sales", "sales-2"), (None, "billing-2")])
def test_filter_from_a_channel_variable(sample_ari, ami, connect, team, offered):
    apps = {name: connect(name, Racer) for name in ("sales-2", "billing-2")}
    variables = {"TEAM": team} if team else {}
    call, path = dial(sample_ari, ami, "300", variables=variables)
    assert outcome(path()) == "SUCCESS"
    for name, app in apps.items():
        assert bool(app.find("CallBroadcast", call.channel_id)) == (name == offered), name


def test_args_for_the_winner(sample_ari, ami, connect):
    racer = connect("args", Racer)
    call, path = dial(sample_ari, ami, "400", caller="Alice <5551234>")
    assert outcome(path()) == "SUCCESS"
    assert racer.wait_for("StasisStart", call.channel_id)["args"] == ["vip", "5551234"]


def test_notify_claimed(sample_ari, ami, connect):
    racers = [connect(f"notify-{i}", Racer) for i in range(2)]
    call, path = dial(sample_ari, ami, "500")
    assert outcome(path()) == "SUCCESS"
    winner = [r.name for r in racers if r.claims.get(call.channel_id) == 204]
    for racer in racers:
        assert racer.wait_for("CallClaimed", call.channel_id)["winner_app"] == winner[0]


def test_failover_loop_gives_up_after_three_offers(sample_ari, ami, connect):
    idle = connect("idle")
    call, path = dial(sample_ari, ami, "600")
    steps = path(timeout=30)
    assert len(idle.find("CallBroadcast", call.channel_id)) == 3
    assert played(steps) == ["please-hold", "please-hold", "vm-nobodyavail"]
    assert outcome(steps) == "TIMEOUT"


def test_failover_loop_takes_a_later_claim(sample_ari, ami, connect):
    def claim_second_offer(app, event):
        if event.get("type") == "CallBroadcast":
            offers = app.find("CallBroadcast", event["channel"]["id"])
            if len(offers) == 2:
                app.claim(event["channel"]["id"])
        elif event.get("type") == "StasisStart":
            app.ari.continue_in_dialplan(event["channel"]["id"])
    patient = connect("patient", on_event=claim_second_offer)
    call, path = dial(sample_ari, ami, "600")
    steps = path(timeout=30)
    assert outcome(steps) == "SUCCESS"
    assert played(steps) == ["please-hold"]
    assert len(patient.find("CallBroadcast", call.channel_id)) == 2


def test_bad_filter_fails_without_offering(sample_ari, ami, connect, samples):
    bystander = connect("bystander")
    mark = samples.log_mark()
    _, path = dial(sample_ari, ami, "700")
    steps = path()
    assert outcome(steps) == "FAILED"
    assert played(steps) == ["an-error-has-occurred"]
    assert bystander.find("CallBroadcast") == []
    samples.wait_log(mark, r"ERROR.*app_filter '\^\(broken\)\+\[' refused")


@pytest.mark.ours_only
def test_pool_takes_the_best_claim(sample_ari, ami, connect):
    def claim_with_score(score):
        def handle(app, event):
            if event.get("type") == "CallBroadcast":
                app.ari.request("POST", f"/broadcasts/{event['channel']['id']}/claim",
                                params={"application": app.name, "score": score})
            elif event.get("type") == "StasisStart":
                app.ari.continue_in_dialplan(event["channel"]["id"])
        return handle
    plain = connect("pool-plain", Racer)                 # POST /events/claim: score 0
    best = connect("pool-best", on_event=claim_with_score(5))
    call, path = dial(sample_ari, ami, "800")
    assert outcome(path()) == "SUCCESS"
    assert best.find("StasisStart", call.channel_id)
    assert plain.claims[call.channel_id] == 409


@pytest.mark.ours_only
def test_pool_where_everyone_declines_goes_on_at_once(sample_ari, ami, connect):
    def decline(app, event):
        if event.get("type") == "CallBroadcast":
            app.ari.request("POST", f"/broadcasts/{event['channel']['id']}/decline",
                            params={"application": app.name})
    for name in ("pool-busy-1", "pool-busy-2"):
        connect(name, on_event=decline)
    _, path = dial(sample_ari, ami, "800")
    steps = path(timeout=2.5)   # the offer's timeout is 3 s
    assert outcome(steps) == "DECLINED"
    assert played(steps) == ["all-circuits-busy-now"]
