"""Our resource in ARI's own handler tree (SPEC section 9): /ari/broadcasts,
on every release, over every ARI transport; and declining an offer.

    POST /ari/broadcasts/{channelId}/claim?application=&score=
    POST /ari/broadcasts/{channelId}/decline?application=
    GET  /ari/broadcasts[?application=]
    GET  /ari/broadcasts/{channelId}
"""

import threading

import pytest

from helpers import REST_OVER_WEBSOCKET, only, release

pytestmark = [pytest.mark.ours_only, pytest.mark.edge]

over_websocket = pytest.mark.skipif(not REST_OVER_WEBSOCKET,
                                    reason="no REST over WebSocket on this release")


def decline(app, channel_id, over_ws=False):
    """A decline by APP; its status code."""
    if over_ws:
        return app.rest("POST", f"broadcasts/{channel_id}/decline?application={app.name}")[0]
    return app.ari.request("POST", f"/broadcasts/{channel_id}/decline",
                           params={"application": app.name}).status_code


def claim(app, channel_id, score=None, over_ws=False):
    """A claim by APP through /ari/broadcasts; its status code."""
    query = f"application={app.name}" + (f"&score={score}" if score is not None else "")
    if over_ws:
        return app.rest("POST", f"broadcasts/{channel_id}/claim?{query}")[0]
    params = {"application": app.name}
    if score is not None:
        params["score"] = score
    return app.ari.request("POST", f"/broadcasts/{channel_id}/claim", params=params).status_code


# --- declining -------------------------------------------------------------------

@pytest.mark.parametrize("over_ws", [False, pytest.param(True, marks=over_websocket)],
                         ids=["http", "websocket"])
def test_every_recipient_declining_ends_the_wait_at_once(apps, calls, observer, over_ws):
    first, second = apps.app("first"), apps.app("second")
    call = calls.offer(timeout=10000, app_filter=only(apps))
    for app in (first, second):
        app.wait_for("CallBroadcast", call.channel_id)
    assert decline(first, call.channel_id, over_ws) == 204
    assert decline(second, call.channel_id, over_ws) == 204

    report = observer.report(call)
    assert (report["status"], report["winner"], report["declined"], report["reason"]) == \
        ("TIMEOUT", "", 2, "DECLINED"), report
    assert report["elapsed_ms"] < 2000, "the dialplan waited for the timeout"


def test_a_decline_leaves_the_call_to_the_others(apps, calls, observer):
    first, second = apps.app("first"), apps.app("second")
    call = calls.offer(timeout=5000, app_filter=only(apps))
    for app in (first, second):
        app.wait_for("CallBroadcast", call.channel_id)
    assert decline(first, call.channel_id) == 204
    assert decline(first, call.channel_id) == 204, "a second decline is no error"
    assert first.claim(call.channel_id) == 404, "it declined: no claim for it"
    assert second.claim(call.channel_id) == 204
    release(second, call)
    report = observer.report(call)
    assert (report["status"], report["winner"], report["declined"], report["reason"]) == \
        ("SUCCESS", second.name, 1, "CLAIMED"), report


def test_decline_answers_as_a_claim_would(apps, calls, observer, ari):
    chosen, outsider = apps.app("chosen"), apps.app("outsider")
    call = calls.offer(timeout=5000, app_filter=f"^{chosen.name}$")
    chosen.wait_for("CallBroadcast", call.channel_id)

    assert decline(outsider, call.channel_id) == 404, "not a recipient"
    assert ari.request("POST", "/broadcasts/no-such-channel/decline",
                       params={"application": chosen.name}).status_code == 404
    missing = ari.request("POST", f"/broadcasts/{call.channel_id}/decline")
    assert (missing.status_code, missing.json()) == \
        (400, {"message": "application parameter is required"})
    assert chosen.claim(call.channel_id) == 204
    assert decline(chosen, call.channel_id) == 409, "already claimed"
    release(chosen, call)
    assert observer.report(call)["declined"] == 0


def test_a_decline_racing_a_claim_of_the_same_application(apps, calls, observer):
    """Both at once, many times: exactly one of them takes effect."""
    app = apps.app("torn")
    other = apps.app("other")
    for _ in range(20):
        call = calls.offer(timeout=5000, app_filter=only(apps))
        app.wait_for("CallBroadcast", call.channel_id)
        other.wait_for("CallBroadcast", call.channel_id)
        results = {}
        threads = [threading.Thread(target=lambda: results.update(claim=app.claim(call.channel_id))),
                   threading.Thread(target=lambda: results.update(decline=decline(app, call.channel_id)))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert results in ({"claim": 204, "decline": 409}, {"claim": 404, "decline": 204}), results
        if results["claim"] == 204:
            release(app, call)
            assert observer.result(call)[:2] == ["SUCCESS", app.name]
        else:
            assert decline(other, call.channel_id) == 204
            assert observer.report(call)["reason"] == "DECLINED"


# --- the resource --------------------------------------------------------------------

def test_list_and_one(apps, calls, observer, ari):
    chosen, outsider, declining = apps.app("chosen"), apps.app("outsider"), apps.app("declining")
    call = calls.offer(timeout=5000, app_filter=f"^{apps.prefix}(chosen|declining)$")
    chosen.wait_for("CallBroadcast", call.channel_id)
    declining.wait_for("CallBroadcast", call.channel_id)
    assert decline(declining, call.channel_id) == 204

    listed = ari.request("GET", "/broadcasts")
    assert listed.status_code == 200
    ours = [b for b in listed.json() if b["channel_id"] == call.channel_id]
    assert len(ours) == 1
    one = ari.request("GET", f"/broadcasts/{call.channel_id}")
    assert one.status_code == 200 and one.json()["channel_id"] == call.channel_id
    for shown in (ours[0], one.json()):
        assert {k: shown[k] for k in ("offer", "mode", "window_ms", "recipients", "declined")} \
            == {"offer": 1, "mode": "first", "window_ms": 0, "recipients": 2, "declined": 1}
        assert shown["channel_name"].startswith("Local/offer@broadcast-")
        assert 0 <= shown["age_ms"] < 5000

    def may_claim(app):
        response = ari.request("GET", "/broadcasts", params={"application": app.name})
        return [b["channel_id"] for b in response.json()]
    assert call.channel_id in may_claim(chosen)
    assert call.channel_id not in may_claim(outsider), "not a recipient"
    assert call.channel_id not in may_claim(declining), "it declined"

    assert claim(chosen, call.channel_id) == 204
    assert ari.request("GET", f"/broadcasts/{call.channel_id}").status_code == 404, \
        "claimed: no longer open"
    assert call.channel_id not in may_claim(chosen)
    release(chosen, call)
    assert observer.result(call)[:2] == ["SUCCESS", chosen.name]


@pytest.mark.parametrize("over_ws", [False, pytest.param(True, marks=over_websocket)],
                         ids=["http", "websocket"])
def test_claim_through_the_resource_answers_as_events_claim(apps, calls, observer, ari, over_ws):
    first, second, outsider = apps.app("first"), apps.app("second"), apps.app("outsider")
    call = calls.offer(timeout=5000, app_filter=f"^{apps.prefix}(first|second)$")
    first.wait_for("CallBroadcast", call.channel_id)
    second.wait_for("CallBroadcast", call.channel_id)

    assert claim(outsider, call.channel_id, over_ws=over_ws) == 404
    assert claim(first, call.channel_id, score="high", over_ws=over_ws) == 400
    assert claim(first, call.channel_id, over_ws=over_ws) == 204
    assert claim(second, call.channel_id, over_ws=over_ws) == 409
    release(first, call)
    assert observer.result(call)[:2] == ["SUCCESS", first.name]
    assert claim(first, call.channel_id, over_ws=over_ws) == 404, "the broadcast is over"


@pytest.mark.parametrize("score", ["", "1.5", "12abc", " 3", "99999999999999999999999"])
def test_a_score_that_is_not_an_integer_is_refused(apps, calls, observer, ari, score):
    app = apps.app("app")
    call = calls.offer(timeout=5000, app_filter=only(apps))
    app.wait_for("CallBroadcast", call.channel_id)
    response = ari.request("POST", f"/broadcasts/{call.channel_id}/claim",
                           params={"application": app.name, "score": score})
    assert (response.status_code, response.json()) == \
        (400, {"message": "score must be an integer"}), score
    assert app.claim(call.channel_id) == 204, "the refusal left the broadcast open"
    release(app, call)
    observer.result(call)


def test_api_docs_describe_the_resource(ari):
    resources = ari.request("GET", "/api-docs/resources.json").json()
    paths = [api["path"] for api in resources["apis"]]
    assert "/api-docs/broadcasts.{format}" in paths
    assert "/api-docs/channels.{format}" in paths, "ARI's own resources are still listed"

    doc = ari.request("GET", "/api-docs/broadcasts.json").json()
    assert doc["basePath"] == resources["basePath"]
    operations = {op["nickname"]: (api["path"], op["httpMethod"])
                  for api in doc["apis"] for op in api["operations"]}
    assert operations == {"list": ("/broadcasts", "GET"),
                          "get": ("/broadcasts/{channelId}", "GET"),
                          "claim": ("/broadcasts/{channelId}/claim", "POST"),
                          "decline": ("/broadcasts/{channelId}/decline", "POST")}
    assert set(doc["models"]["Broadcast"]["properties"]) == \
        {"channel_id", "channel_name", "offer", "mode", "window_ms", "recipients", "declined",
         "age_ms"}

    events = ari.request("GET", "/api-docs/events.json").json()
    assert {"offer", "mode", "window_ms"} <= set(events["models"]["CallBroadcast"]["properties"])
    assert "score" in events["models"]["CallClaimed"]["properties"]
