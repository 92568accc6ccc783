"""SPEC section 4: POST /ari/events/claim, through Asterisk's own route."""

import pytest

from helpers import check_outcome, only

pytestmark = pytest.mark.edge



def test_first_claim_wins_then_409_for_everyone(apps, calls, observer, ari):
    first, second = apps.app("first"), apps.app("second")
    call = calls.offer(timeout=5000, app_filter=only(apps))
    first.wait_for("CallBroadcast", call.channel_id)
    second.wait_for("CallBroadcast", call.channel_id)

    assert first.claim(call.channel_id) == 204
    assert second.claim(call.channel_id) == 409
    assert first.claim(call.channel_id) == 409, "the winner's second claim must be 409 too"

    first.wait_for("StasisStart", call.channel_id)
    assert second.find("StasisStart") == []
    ari.continue_in_dialplan(call.channel_id)
    check_outcome(observer.result(call), "SUCCESS", first.name)


def test_claim_after_timeout_is_404(apps, calls, observer):
    idle = apps.app("idle")
    call = calls.offer(timeout=100, app_filter=only(apps))
    assert observer.result(call)[0] == "TIMEOUT"
    assert idle.claim(call.channel_id) == 404


def test_claim_after_the_call_left_is_404(apps, calls, observer):
    racer = apps.racer("a")
    call = calls.offer(timeout=2000, app_filter=only(apps))
    assert observer.result(call)[0] == "SUCCESS"
    assert racer.claim(call.channel_id) == 404


def test_unknown_channel_is_404(apps, ari):
    app = apps.app("a")
    response = ari.claim("no-such-channel", app.name)
    assert response.status_code == 404
    assert response.json().get("message")


def test_5000_character_channel_id_is_refused_cleanly(apps, ari, asterisk):
    app = apps.app("a")
    # In the URL, Asterisk's HTTP server refuses the request line itself.
    assert ari.claim("x" * 5000, app.name).status_code == 400
    # In the JSON body it reaches the module, which finds no such broadcast.
    response = ari.request("POST", "/events/claim",
                           body={"channelId": "x" * 5000, "application": app.name})
    assert response.status_code == 404
    assert response.json().get("message")
    assert "Asterisk has fully booted" in asterisk.cli("core waitfullybooted")


@pytest.mark.parametrize("channel_id, application", [
    (None, "someapp"), ("somechannel", None), (None, None),
])
def test_missing_parameter_is_400(ari, channel_id, application):
    response = ari.claim(channel_id, application)
    assert response.status_code == 400
    assert response.json().get("message")


def test_no_credentials_is_401(ari):
    assert ari.claim("somechannel", "someapp", auth=False).status_code == 401


# The route's answers, word for word as Asterisk's own route (22.10+) gives
# them: where we serve the route ourselves, clients see no difference.
NOT_FOUND = '{"message":"Channel not found or not in broadcast state"}'


def test_messages_are_the_core_routes(apps, calls, ari):
    first, second = apps.app("first"), apps.app("second")
    call = calls.offer(timeout=5000, app_filter=only(apps))
    first.wait_for("CallBroadcast", call.channel_id)
    assert first.claim(call.channel_id) == 204
    conflict = ari.claim(call.channel_id, second.name)
    assert (conflict.status_code, conflict.reason, conflict.text) == (
        409, "Conflict", '{"message":"Channel has already been claimed by another application"}')
    unknown = ari.claim("no-such-channel", first.name)
    assert (unknown.status_code, unknown.reason, unknown.text) == (404, "Not Found", NOT_FOUND)
    assert unknown.headers["Content-type"] == "application/json"
    missing = ari.claim(None, first.name)
    assert (missing.status_code, missing.text) == (400, '{"message":"channelId parameter is required"}')
    missing = ari.claim("no-such-channel", "")
    assert (missing.status_code, missing.text) == (400, '{"message":"application parameter is required"}')


@pytest.mark.parametrize("query, body, status", [
    ("channelId=c&application=a", None, 404),
    ("channelId=&channelId=c&application=a", None, 404),     # the last one counts
    ("channelId=c&channelId=&application=a", None, 400),
    ("application=a", {"channelId": "c"}, 404),             # JSON body
    ("channelId=c&application=a", {"channelId": 5}, 400),   # the body wins, and 5 is no id
    ("channelId=c&application=a", {"channelId": ""}, 400),
])
def test_parameters_are_read_as_the_core_route_reads_them(ari, query, body, status):
    response = ari.request("POST", "/events/claim?" + query, body=body)
    assert response.status_code == status, response.text


def test_form_parameters(ari):
    response = ari.session.post(ari.base + "/events/claim",
                                data={"channelId": "c", "application": "a"}, timeout=10)
    assert (response.status_code, response.text) == (404, NOT_FOUND)


def test_a_body_that_does_not_parse_is_400(ari):
    response = ari.session.post(ari.base + "/events/claim?channelId=c&application=a",
                                data="{broken", headers={"Content-Type": "application/json"},
                                timeout=10)
    assert (response.status_code, response.text) == (400, '{"message":"Error parsing request body"}')


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_other_methods_are_405_with_allow(ari, method):
    response = ari.request(method, "/events/claim", params={"channelId": "c", "application": "a"})
    assert (response.status_code, response.text) == (405, '{"message":"Invalid method"}')
    assert response.headers["Allow"] == "OPTIONS,POST"


def test_options_lists_the_methods(ari):
    response = ari.request("OPTIONS", "/events/claim")
    assert response.status_code == 204
    assert response.headers["Allow"] == "OPTIONS,POST"


def test_trailing_slash_is_refused_like_any_ari_url(ari):
    response = ari.request("POST", "/events/claim/", params={"channelId": "c", "application": "a"})
    assert (response.status_code, response.text) == (
        404, '{"message":"ARI URLs do not end with a slash. Try /ari/events/claim"}')


def test_api_docs_describe_the_claim_and_its_events(ari):
    """Generated clients (ari-client) build their API from these documents."""
    resources = ari.request("GET", "/api-docs/resources.json").json()
    assert any(api["path"].startswith("/api-docs/events.") for api in resources["apis"])
    events = ari.request("GET", "/api-docs/events.json").json()
    claim = [op for api in events["apis"] if api["path"] == "/events/claim"
             for op in api["operations"]]
    assert [(op["httpMethod"], op["nickname"]) for op in claim] == [("POST", "claimChannel")]
    assert {p["name"] for p in claim[0]["parameters"]} == {"channelId", "application"}
    assert {"CallBroadcast", "CallClaimed"} <= set(events["models"]["Event"]["subTypes"])
    assert set(events["models"]["CallBroadcast"]["properties"]) >= {"channel", "caller", "called"}
    assert "winner_app" in events["models"]["CallClaimed"]["properties"]
    assert events["basePath"] == f"http://127.0.0.1:{ari.port}/ari"
