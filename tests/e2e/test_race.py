"""Exactly one winner per call, under a real race of 8 applications."""

import concurrent.futures
import statistics
import time

from helpers import check_outcome
from waiting import wait_until

RACERS = 8
CALLS = 100
IN_FLIGHT = 10


def test_eight_racers_hundred_calls_one_winner_each(apps, calls, observer):
    racers = apps.racers(RACERS)

    def one_call(_):
        call = calls.offer(timeout=3000, app_filter="^" + apps.prefix)
        return call, observer.result(call, timeout=30)

    with concurrent.futures.ThreadPoolExecutor(IN_FLIGHT) as pool:
        outcomes = list(pool.map(one_call, range(CALLS)))
    # Every recipient is sent every offer, but under load an offer queued
    # behind another send to the same application may come after the call
    # ended (then its claim is 404): wait until every racer has had each one.
    wait_until(lambda: all(call.channel_id in r.claims for call, _ in outcomes for r in racers),
               10, "every racer to have been offered every call")

    for call, (status, reported, recipients, _) in outcomes:
        statuses = {r.name: r.claims.get(call.channel_id) for r in racers}
        winners = [name for name, code in statuses.items() if code == 204]
        assert len(winners) == 1, f"call {call.id}: {statuses}"
        winner = winners[0]
        assert set(statuses.values()) <= {204, 409, 404}, statuses
        check_outcome((status, reported, recipients, 0), "SUCCESS", winner, RACERS)
        for racer in racers:
            starts = racer.find("StasisStart", call.channel_id)
            assert len(starts) == (1 if racer.name == winner else 0), (racer.name, call.id)


def test_claim_to_stasis_start_latency(apps, calls, observer, capsys):
    """One application, one call at a time: the claim's 204 and then StasisStart
    for every call; the latency is printed for the record (benchmarks compare)."""
    app = apps.app("solo")
    latencies = []
    for _ in range(30):
        call = calls.offer(timeout=3000, app_filter=f"^{app.name}$")
        app.wait_for("CallBroadcast", call.channel_id)
        sent = time.monotonic()
        assert app.claim(call.channel_id) == 204
        start = app.wait_for("StasisStart", call.channel_id)
        latencies.append(start["_received"] - sent)
        app.ari.continue_in_dialplan(call.channel_id)
        check_outcome(observer.result(call), "SUCCESS", app.name)
    with capsys.disabled():
        print(f"\n  claim sent -> StasisStart received: median "
              f"{statistics.median(latencies) * 1000:.2f} ms, max {max(latencies) * 1000:.2f} ms")
