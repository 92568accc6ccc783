"""The best claim wins, not only the fastest (SPEC section 9): under w(ms) a claim
carries a score, and the broadcast is decided when every recipient has
claimed or declined, when the window from the first claim ran out, or at the
timeout with a claim in. The highest score wins, the earliest of equal ones;
every claimant is answered then: 204 to the winner, 409 to the others.
"""

import random
import threading
import time

import pytest

from helpers import REST_OVER_WEBSOCKET, only, release

pytestmark = [pytest.mark.ours_only, pytest.mark.edge]

over_websocket = pytest.mark.skipif(not REST_OVER_WEBSOCKET,
                                    reason="no REST over WebSocket on this release")


def scored_claim(app, channel_id, score, over_ws=False):
    """A claim with a score through /ari/broadcasts: (status, answered_at)."""
    if over_ws:
        status = app.rest("POST", f"broadcasts/{channel_id}/claim?application={app.name}"
                          f"&score={score}", timeout=30)[0]
    else:
        status = app.ari.request("POST", f"/broadcasts/{channel_id}/claim",
                                 params={"application": app.name, "score": score},
                                 timeout=30).status_code
    return status, time.monotonic()


class Claims:
    """Claims made at once on their own threads; answers by application."""

    def __init__(self):
        self.answers = {}
        self.threads = []

    def make(self, app, call, score, over_ws=False, plain=False):
        def run():
            if plain:
                self.answers[app.name] = (app.claim(call.channel_id), time.monotonic())
            else:
                self.answers[app.name] = scored_claim(app, call.channel_id, score, over_ws)
        thread = threading.Thread(target=run)
        thread.start()
        self.threads.append(thread)
        return thread

    def wait(self):
        for thread in self.threads:
            thread.join(timeout=30)
        return {name: status for name, (status, _) in self.answers.items()}


def offered(apps_list, call):
    return [app.wait_for("CallBroadcast", call.channel_id) for app in apps_list]


@pytest.mark.parametrize("over_ws", [False, pytest.param(True, marks=over_websocket)],
                         ids=["http", "websocket"])
def test_many_scored_claimants_the_highest_wins_everyone_answered_at_once(
        apps, calls, observer, over_ws):
    claimants = [apps.app(f"c{i}") for i in range(10)]
    scores = random.sample(range(-50, 1000), len(claimants))
    call = calls.offer(timeout=20000, app_filter=only(apps), notify="yes", options="w(10000)")
    broadcasts = offered(claimants, call)
    assert {(e["mode"], e["window_ms"]) for e in broadcasts} == {("best", 10000)}

    claims = Claims()
    for app, score in zip(claimants, scores):
        claims.make(app, call, score, over_ws)
    answers = claims.wait()
    best = claimants[scores.index(max(scores))]
    assert answers == {app.name: 204 if app is best else 409 for app in claimants}, answers
    times = [at for _, at in claims.answers.values()]
    assert max(times) - min(times) < 1.0, "everyone is answered when it is decided"

    release(best, call)
    report = observer.report(call)
    assert (report["status"], report["winner"], report["score"]) == \
        ("SUCCESS", best.name, max(scores)), report
    assert report["elapsed_ms"] < 5000, "every recipient answered: decided before the window"
    claimed = [app.wait_for("CallClaimed", call.channel_id) for app in claimants]
    assert {(e["winner_app"], e["score"]) for e in claimed} == {(best.name, max(scores))}


def test_equal_scores_go_to_the_earliest_claim(apps, calls, observer):
    early, late, silent = apps.app("early"), apps.app("late"), apps.app("silent")
    call = calls.offer(timeout=10000, app_filter=only(apps), options="w(600)")
    offered([early, late, silent], call)
    claims = Claims()
    claims.make(early, call, 7)
    time.sleep(0.1)
    claims.make(late, call, 7)
    assert claims.wait() == {early.name: 204, late.name: 409}
    release(early, call)
    assert observer.report(call)["score"] == 7


def test_the_window_decides_and_later_claims_are_conflicts(apps, calls, observer):
    first, better_but_late = apps.app("first"), apps.app("late")
    call = calls.offer(timeout=10000, app_filter=only(apps), options="w(200)")
    offered([first, better_but_late], call)
    began = time.monotonic()
    status, answered = scored_claim(first, call.channel_id, 1)
    assert status == 204
    assert 0.15 < answered - began < 2.0, "answered when the window ran out"
    assert scored_claim(better_but_late, call.channel_id, 100)[0] == 409
    release(first, call)
    assert observer.report(call)["winner"] == first.name


def test_everyone_answering_before_the_window_decides_at_once(apps, calls, observer):
    low, high, refusing = apps.app("low"), apps.app("high"), apps.app("refusing")
    call = calls.offer(timeout=20000, app_filter=only(apps), options="w(15000)")
    offered([low, high, refusing], call)
    claims = Claims()
    claims.make(low, call, 1)
    claims.make(high, call, 2)
    assert refusing.ari.request("POST", f"/broadcasts/{call.channel_id}/decline",
                                params={"application": refusing.name}).status_code == 204
    assert claims.wait() == {low.name: 409, high.name: 204}
    release(high, call)
    report = observer.report(call)
    assert (report["winner"], report["declined"], report["score"]) == (high.name, 1, 2)
    assert report["elapsed_ms"] < 5000


def test_the_timeout_decides_with_a_claim_in(apps, calls, observer):
    app, silent = apps.app("app"), apps.app("silent")
    call = calls.offer(timeout=500, app_filter=only(apps), options="w(20000)")
    offered([app, silent], call)
    assert scored_claim(app, call.channel_id, 3)[0] == 204
    release(app, call)
    report = observer.report(call)
    assert (report["status"], report["winner"]) == ("SUCCESS", app.name)
    assert report["elapsed_ms"] < 5000


def test_a_mix_of_scored_and_plain_claims(apps, calls, observer):
    plain, negative, positive = apps.app("plain"), apps.app("negative"), apps.app("positive")

    def mixed(positive_claims):
        """A plain claim (POST /events/claim: score 0), -5, and 5 or a decline."""
        call = calls.offer(timeout=10000, app_filter=only(apps), options="w(5000)")
        offered([plain, negative, positive], call)
        claims = Claims()
        claims.make(plain, call, None, plain=True)
        claims.make(negative, call, -5)
        if positive_claims:
            claims.make(positive, call, 5)
        else:
            assert positive.ari.request("POST", f"/broadcasts/{call.channel_id}/decline",
                                        params={"application": positive.name}).status_code == 204
        return call, claims.wait()

    call, answers = mixed(True)
    assert answers == {plain.name: 409, negative.name: 409, positive.name: 204}
    release(positive, call)
    assert observer.report(call)["score"] == 5

    call, answers = mixed(False)
    assert answers == {plain.name: 204, negative.name: 409}, "a plain claim scores 0"
    release(plain, call)
    assert observer.report(call)["score"] == 0


def test_hangup_in_the_middle_of_a_window(apps, calls, asterisk):
    app, silent = apps.app("app"), apps.app("silent")
    call = calls.offer(timeout=10000, app_filter=only(apps), options="w(5000)")
    offered([app, silent], call)
    claims = Claims()
    claims.make(app, call, 1)
    time.sleep(0.2)
    assert claims.answers == {}, "the claim is held for the window, not answered"
    call.hangup()
    assert claims.wait() == {app.name: 404}
    assert app.find("StasisStart", call.channel_id) == []
    assert "0 live broadcasts" in asterisk.cli("stasis broadcast show channels")


def test_unload_is_refused_in_the_middle_of_a_window(apps, calls, observer, asterisk):
    app, silent = apps.app("app"), apps.app("silent")
    call = calls.offer(timeout=10000, app_filter=only(apps), options="w(1500)")
    offered([app, silent], call)
    claims = Claims()
    claims.make(app, call, 1)
    time.sleep(0.2)
    for module in ("app_stasis_broadcast.so", "res_stasis_broadcast.so"):
        asterisk.cli(f"module unload {module}")
    assert claims.wait() == {app.name: 204}
    release(app, call)
    assert observer.report(call)["winner"] == app.name


def test_without_a_window_the_first_claim_wins_whatever_its_score(apps, calls, observer):
    low, high = apps.app("low"), apps.app("high")
    call = calls.offer(timeout=5000, app_filter=only(apps))
    assert {e["mode"] for e in offered([low, high], call)} == {"first"}
    assert scored_claim(low, call.channel_id, 1)[0] == 204
    assert scored_claim(high, call.channel_id, 100)[0] == 409
    release(low, call)
    report = observer.report(call)
    assert (report["winner"], report["score"]) == (low.name, None), report
