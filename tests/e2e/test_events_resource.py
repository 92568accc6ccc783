"""ARI's events resource behaves exactly as before for every ARI client.

On 20.14-20.19, 22.4-22.9 and 23.0-23.3 our module serves ARI's "events"
resource itself, with the claim in it (src/res/route/in_ari): the events
WebSocket and user events must answer as res_ari_events' own do, in every load
order. Each comparison is made on one Asterisk: with our modules loaded, then
with them unloaded (res_ari_events' resource answers), then loaded again by
hand. Elsewhere the same comparisons hold trivially (the resource is always
res_ari_events'), and run too.
"""

import pytest
import requests
import websocket

from ari import App
from helpers import ASTERISK_CLAIM_ROUTE, REST_OVER_WEBSOCKET
from minimal import OURS, PORT, Minimal, ari_files

pytestmark = [pytest.mark.edge, pytest.mark.instance]

BASE = f"http://127.0.0.1:{PORT}/ari"
APP = "ue-app"
# Our resource answers for these releases only.
OURS_IN_ARI = REST_OVER_WEBSOCKET and not ASTERISK_CLAIM_ROUTE

# (method, path, query, JSON body): user events as clients send them.
USER_EVENTS = [
    ("POST", "/events/user/ev1", {"application": APP}, None),
    ("POST", "/events/user/ev1", {}, None),
    ("POST", "/events/user/ev1", {"application": "no-such-app"}, None),
    ("POST", "/events/user/ev1", {"application": APP, "source": "foo:bar"}, None),
    ("POST", "/events/user/ev1", {"application": APP, "source": "channel:nope"}, None),
    ("POST", "/events/user/ev1", {"application": APP, "source": ",".join(["channel:x"] * 130)}, None),
    ("POST", "/events/user/ev1", {"application": APP, "source": ""}, None),
    ("POST", "/events/user/ev2", {"application": APP}, {"variables": {"key": "value"}}),
    ("POST", "/events/user/ev3", {"application": "no-such-app"}, {"application": APP}),
    ("POST", "/events/user/ev1", {"application": APP}, {"source": ["channel:nope"]}),
    ("POST", "/events/user/ev1", {"application": APP}, {"source": "bridge:nope"}),
    ("POST", "/events/user/ev1", {"application": APP}, {"variables": "not an object"}),
    ("GET", "/events/user/ev1", {"application": APP}, None),
    ("OPTIONS", "/events/user/ev1", {}, None),
    ("POST", "/events/user", {"application": APP}, None),
    ("POST", "/events/user/ev1/", {"application": APP}, None),
    ("GET", "/events", {"app": APP}, None),
]


def answers(ari_user=("test", "test")):
    """What a client sees of every request in USER_EVENTS."""
    seen = []
    for method, path, query, body in USER_EVENTS:
        response = requests.request(method, BASE + path, params=query, json=body,
                                    auth=ari_user, timeout=10)
        seen.append((method, path, tuple(query.items()), repr(body), response.status_code,
                     response.reason, response.headers.get("Allow"), response.text))
    return seen


def user_events_received(app):
    return [(e.get("eventname"), e.get("userevent")) for e in app.find("ChannelUserevent")]


def test_events_websocket_and_user_events_answer_as_res_ari_events_does():
    with Minimal("ours", ari_files()) as pbx:
        def phase():
            app = App(pbx.ari, APP)
            try:
                seen = answers()
                app.wait_until(lambda e: e.get("type") == "ChannelUserevent"
                               and e.get("eventname") == "ev3", 5, "the last user event")
                return seen, user_events_received(app)
            finally:
                app.close()

        ours = phase()
        for module in OURS[::-1]:
            pbx.cli(f"module unload {module}")
        assert not pbx.running("res_stasis_broadcast.so")
        theirs = phase()
        for module in OURS:
            pbx.cli(f"module load {module}")
        assert pbx.ours_run()
        again = phase()

    # The cases reach the resource and cover its answers.
    assert {seen[4] for seen in theirs[0]} >= {204, 400, 404, 405, 422}, theirs[0]
    assert ("ev2", {"key": "value", "eventname": "ev2"}) in theirs[1], theirs[1]
    for got in (ours, again):
        for mine, reference in zip(got[0], theirs[0]):
            assert mine == reference
        assert got[1] == theirs[1]


@pytest.mark.skipif(not OURS_IN_ARI, reason="the claim is ours inside ARI only on 20.14-20.19, "
                    "22.4-22.9, 23.0-23.3")
def test_every_load_order_serves_the_claim_over_every_transport():
    with Minimal("ours", ari_files()) as pbx:
        pbx.assert_claimed(over_ws=True)

        # Loaded by hand after res_ari_events: it is refreshed, ours comes first.
        mark = pbx.instance.log_mark()
        for module in OURS[::-1]:
            pbx.cli(f"module unload {module}")
        for module in OURS:
            pbx.cli(f"module load {module}")
        pbx.instance.wait_log(mark, r"refreshing res_ari_events")
        pbx.instance.wait_log(mark, r"serves POST /ari/events/claim inside ARI")
        pbx.assert_claimed(over_ws=True)
        pbx.assert_claimed()

        # Without res_ari_events there is no events resource, ours included.
        mark = pbx.instance.log_mark()
        pbx.cli("module unload res_ari_events.so")
        pbx.instance.wait_log(mark, r"res_ari_events is not running")
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            App(pbx.ari, APP)
        assert refused.value.status_code == 404
        assert requests.post(BASE + "/events/claim", params={"channelId": "c", "application": "a"},
                             auth=("test", "test"), timeout=10).status_code == 404

        # And back, loaded after us: ours is still first.
        pbx.cli("module load res_ari_events.so")
        pbx.assert_claimed(over_ws=True)
