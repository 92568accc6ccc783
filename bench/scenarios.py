"""The benchmark scenarios. Each takes a Target and returns a dict of results."""

import collections
import concurrent.futures
import itertools
import queue
import time

from ari import App, Observer
from common import Fan, own_cpu_seconds, percentiles


_runs = itertools.count()


def ms(ns):
    return ns / 1e6


def unique(prefix):
    """An application-name prefix no earlier run used: Asterisk may still be
    closing the previous run's WebSockets when the next one connects."""
    return f"{prefix}{next(_runs):03d}x"


def fanout(target, wsfan, count, broadcasts):
    """Time from originate to the first and to the last recipient's
    CallBroadcast, and Asterisk CPU per broadcast, with COUNT connected
    applications (held by WSFAN, or by another client of its protocol)."""
    prefix = unique("fan")
    fan = Fan(wsfan, target.ari.port, prefix, count)
    try:
        to_first, to_last, spread = [], [], []
        incomplete = 0
        cpu_before = target.cpu_seconds()
        for _ in range(broadcasts):
            sent = time.monotonic_ns()
            call = target.ari.originate(target.exten, {"BC_TIMEOUT": "0", "BC_FILTER": "^" + prefix})
            try:
                channel_id, received, first, last = fan.next_broadcast(timeout=10)
            except queue.Empty:
                incomplete += 1
                print(f"  {target.name}: {count} apps: a broadcast did not reach every app")
                continue
            assert channel_id == call.channel_id and received == count
            to_first.append(ms(first - sent))
            to_last.append(ms(last - sent))
            spread.append(ms(last - first))
            call.wait_global_result()
        cpu = target.cpu_seconds() - cpu_before
    finally:
        client_cpu = fan.close()
    return {"apps": count, "broadcasts": broadcasts, "incomplete": incomplete,
            "to_first_ms": percentiles(to_first), "to_last_ms": percentiles(to_last),
            "spread_ms": percentiles(spread),
            "asterisk_cpu_ms_per_broadcast": cpu * 1000 / broadcasts,
            "client_cpu_ms_per_broadcast": client_cpu * 1000 / broadcasts,
            "client_cpu_after_ready_ms_per_broadcast":
                (client_cpu - fan.cpu_at_ready) * 1000 / broadcasts}


def claim_round_trip(target, calls, transport="http"):
    """One application, one call at a time: originate -> CallBroadcast -> claim
    204 -> StasisStart, each step timed on the client. TRANSPORT "ws" claims
    with a RESTRequest down the application's WebSocket instead of HTTP (the
    claim's round trip is then until its RESTResponse)."""
    app = App(target.ari, "roundtrip")
    observer = Observer(target.ari, "rt-observer")
    offer, claim_rt, to_start, total = [], [], [], []
    try:
        for _ in range(calls):
            sent = time.monotonic()
            call = target.ari.originate("offer", {"BC_TIMEOUT": "3000", "BC_FILTER": "^roundtrip$",
                                                  "BC_OBSERVER": observer.name})
            broadcast = app.wait_for("CallBroadcast", call.channel_id)
            claimed = time.monotonic()
            if transport == "ws":
                request_id = app.send_rest("POST", app.claim_uri(call.channel_id))
                response = app.wait_until(lambda e: e.get("type") == "RESTResponse"
                                          and e.get("request_id") == request_id, 5, "the answer")
                assert response["status_code"] == 204
                answered = response["_received"]
            else:
                assert app.claim(call.channel_id) == 204
                answered = time.monotonic()
            start = app.wait_for("StasisStart", call.channel_id)
            offer.append((broadcast["_received"] - sent) * 1000)
            claim_rt.append((answered - claimed) * 1000)
            to_start.append((start["_received"] - claimed) * 1000)
            total.append((start["_received"] - sent) * 1000)
            target.ari.continue_in_dialplan(call.channel_id)
            observer.result(call)
    finally:
        app.close()
        observer.close()
    return {"calls": calls, "samples_ms": to_start,
            "originate_to_callbroadcast_ms": percentiles(offer),
            "claim_http_ms": percentiles(claim_rt), "claim_to_stasisstart_ms": percentiles(to_start),
            "originate_to_stasisstart_ms": percentiles(total)}


def race_throughput(target, wsfan, racers, calls, in_flight):
    """RACERS identical applications (one wsfan thread, so the one sent
    CallBroadcast first claims first) claim every call on sight and hand it
    back to the dialplan on StasisStart; CALLS calls, IN_FLIGHT at a time, a
    call counting as done when its winner has StasisStart. Calls per second,
    Asterisk CPU per call, lost and doubled calls, each racer's share of wins.
    The client side is wsfan plus one originate per call from Python."""
    prefix = unique("race")
    fan = Fan(wsfan, target.ari.port, prefix, racers, claim=True)
    try:
        def one(_):
            call = target.ari.originate("offer", {"BC_TIMEOUT": "5000", "BC_FILTER": "^" + prefix})
            fan.wait_start(call.channel_id)
            return call

        cpu_before, client_before = target.cpu_seconds(), own_cpu_seconds()
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(in_flight) as pool:
            made = list(pool.map(one, range(calls)))
        elapsed = time.monotonic() - started
        cpu = target.cpu_seconds() - cpu_before
        client_cpu = own_cpu_seconds() - client_before

        wins = collections.Counter()
        lost = doubled = 0
        for call in made:
            answers = fan.wait_claims(call.channel_id, racers)
            winners = [app for app, code in answers.items() if code == 204]
            starts = fan.starts.get(call.channel_id, [])
            doubled += len(winners) > 1 or len(starts) > 1
            lost += len(winners) != 1 or starts != winners
            for app in winners:
                wins[app] += 1
    finally:
        fan_cpu = fan.close()
    fair = calls / racers
    return {"racers": racers, "calls": calls, "in_flight": in_flight,
            "calls_per_second": calls / elapsed,
            "asterisk_cpu_ms_per_call": cpu * 1000 / calls,
            "client_cpu_ms_per_call": (client_cpu + fan_cpu) * 1000 / calls,
            "lost": lost, "doubled": doubled,
            "wins": {str(app): count for app, count in sorted(wins.items())},
            "max_deviation_from_fair_share": max(abs(wins.get(i, 0) - fair) / fair
                                                 for i in range(racers))}


def zero_recipients(target, calls, timeout_ms):
    """A filter that matches nobody: how long StasisBroadcast() takes (measured
    by the dialplan itself, in Asterisk)."""
    elapsed = []
    for _ in range(calls):
        call = target.ari.originate("offer", {"BC_TIMEOUT": str(timeout_ms),
                                              "BC_FILTER": "^nobody-at-all$"})
        status, _, _, took = call.wait_global_result(timeout=timeout_ms / 1000 + 10)
        assert status == "TIMEOUT"
        elapsed.append(took)
    return {"calls": calls, "timeout_ms": timeout_ms, "elapsed_ms": percentiles(elapsed)}


def hangup_to_end(target, calls):
    """Caller hangs up while the call is offered: time until the offered
    channel is gone (ChannelHangupRequest -> ChannelDestroyed, both seen by a
    subscribed application)."""
    app = App(target.ari, "hangup-app")
    watcher = App(target.ari, "hangup-watch")
    took = []
    try:
        for _ in range(calls):
            call = target.ari.originate("offer", {"BC_TIMEOUT": "10000", "BC_FILTER": "^hangup-app$"})
            app.wait_for("CallBroadcast", call.channel_id)
            target.ari.subscribe(watcher.name, call.channel_id)
            call.hangup()
            request = watcher.wait_for("ChannelHangupRequest", call.channel_id)
            destroyed = watcher.wait_for("ChannelDestroyed", call.channel_id, timeout=15)
            took.append((destroyed["_received"] - request["_received"]) * 1000)
    finally:
        app.close()
        watcher.close()
    return {"calls": calls, "hangup_to_destroyed_ms": percentiles(took)}


def stalled_application(target, wsfan, live, calls, big_var_bytes):
    """One application that never reads its WebSocket, LIVE that do, and large
    events (a channel variable of BIG_VAR_BYTES listed in channelvars): the
    delay each live application sees on its CallBroadcast."""
    prefix = unique("stall")
    fan = Fan(wsfan, target.ari.port, prefix, live + 1, stalled=1)
    big = "x" * big_var_bytes
    try:
        to_last = []
        for _ in range(calls):
            sent = time.monotonic_ns()
            call = target.ari.originate("offer", {"BC_TIMEOUT": "0", "BC_FILTER": "^" + prefix,
                                                  "BC_TAG": big})
            channel_id, received, _, last = fan.next_broadcast()
            assert channel_id == call.channel_id
            to_last.append(ms(last - sent))
            call.wait_global_result(timeout=30)
    finally:
        fan.close()
    return {"live_apps": live, "stalled_apps": 1, "calls": calls, "event_var_bytes": big_var_bytes,
            "live_delay_ms": percentiles(to_last), "samples_ms": to_last}

