"""The fault soak: many broadcasts, faults at random points, one invariant per call.

    python3 tests/soak/soak.py --calls 20000        (make soak)
    python3 tests/soak/soak.py --calls 2000         (CI: tests/soak/ci.sh)

A real Asterisk runs our modules. Agents (ARI applications on real
WebSockets) of several kinds are offered every call: some claim at once,
some after thinking, some only now and then, some never; one stops reading
its socket for good. Calls come with random timeouts, filters, arguments and
notify_claimed, and some callers hang up at a random moment.

Faults are injected at random points, the narrow windows included:
  reset_after_offer     an agent's TCP connection is reset right after a CallBroadcast
  reset_after_claim     ... right after its claim was accepted (before StasisStart)
  reset_after_start     ... right after StasisStart
  replace               a second connection under the same name takes over
  (after a reset, the agent reconnects under the same name)
  caller_hangup         the caller hangs up at a random moment
  unload_attempt        "module unload" of our module while calls are live (refused)
  ari_reload            "module reload res_ari.so" (ari.conf read again)

Every call must end exactly one way -- claimed (SUCCESS, or FAILED when the
winner vanished before its Stasis session), TIMEOUT, or hung up -- and the
dialplan's variables, the AMI events and the claims the agents saw must all
tell the same story (check_call). A winner reset before its StasisStart or
within the guard after it gives the call back: it is offered again, and each
offer has at most one winner; the call's winner is the last offer's, unless it
was lost too. At the end the CLI counters must add up to
the calls' ends, and nothing may be left behind: no channel, no broadcast, no
file descriptor, and memory that levels off after warm-up.
"""

import argparse
import asyncio
import collections
import json
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "sandbox" / "lib"))
sys.path.insert(0, str(REPO / "tests" / "e2e"))

from aio import HttpPool  # noqa: E402
from ami import AsyncAmi  # noqa: E402
from ari import AsyncApp, NotSent, claim_uri  # noqa: E402
from helpers import REST_OVER_WEBSOCKET  # noqa: E402
from instance import Instance  # noqa: E402

USER, PASSWORD = "test", "test"
AGENT_KINDS = {          # kind: (how many, claim probability, think time range in s)
    "fast": (3, 1.0, (0.0, 0.0)),
    "slow": (2, 0.8, (0.0, 0.3)),
    "picky": (2, 0.3, (0.0, 0.05)),
    "silent": (1, 0.0, (0.0, 0.0)),
}
RECONNECT_WINDOW = 2.0   # seconds a reconnection may take, with ARI's handshake

SCENARIOS = {            # scenario: (weight, app_filter)
    "race": (55, None),                                    # every agent; the fast ones race
    "thinking": (20, "^soak-(slow|picky|silent)-"),        # claims come late, or not at all
    "unclaimed": (12, "^soak-silent-"),                    # offered, never claimed: TIMEOUT
    "fast-only": (10, "^soak-fast-"),
    "nobody": (3, "^nobody-matches$"),                     # no recipient: TIMEOUT at once
}
FAULTS = {               # fault: probability per opportunity
    "reset_after_offer": 0.004,
    "reset_after_claim": 0.02,
    "reset_after_start": 0.004,
    "replace": 0.002,
}


class Call:
    """One call: what it asked for, and everything anybody saw of it."""

    def __init__(self, number, rng):
        self.id = f"soak{number:06d}"
        self.caller_id = f"{self.id}-caller"
        self.channel_id = f"{self.id}-offer"
        self.scenario = rng.choices(list(SCENARIOS), weights=[w for w, _ in SCENARIOS.values()])[0]
        self.app_filter = SCENARIOS[self.scenario][1]
        self.timeout = rng.choice([0, 50, 150, 300, 600, 1000])
        self.notify = rng.random() < 0.3
        self.args = "a1:a2" if rng.random() < 0.1 else None
        # Hang-ups come while the offer is likely still open.
        self.hangup_after = (rng.uniform(0, self.timeout / 1000 + 0.05)
                             if rng.random() < (0.3 if self.scenario != "race" else 0.05) else None)
        self.offered = set()          # agents that got CallBroadcast
        self.claims = []              # (agent, status; None: the answer was lost)
        self.starts = []              # agents that got StasisStart, with its args
        self.notified = []            # (agent, winner_app) of CallClaimed
        self.started = self.finished = None   # monotonic times
        self.hung_up = False          # the caller hung up (a fault of ours)
        self.never_offered = False    # ... before the call reached the dialplan
        self.ami = collections.defaultdict(list)   # AMI event name -> events
        self.report = None            # the dialplan's SoakEnd
        self.ended = asyncio.Event()

    def variables(self):
        values = {"BC_ID": self.id, "BC_TIMEOUT": self.timeout, "BC_FILTER": self.app_filter,
                  "BC_ARGS": self.args, "BC_NOTIFY": "yes" if self.notify else None}
        return {k: str(v) for k, v in values.items() if v is not None}

    def check_ended(self):
        if self.report is not None and self.ami["StasisBroadcastEnd"] and not self.ended.is_set():
            self.finished = time.monotonic()
            self.ended.set()


class Soak:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.calls = {}                       # channel id -> Call
        self.faults = collections.Counter()
        self.broken = []                      # (call id, what)
        self.http = HttpPool("127.0.0.1", args.port, auth=(USER, PASSWORD))
        self.agents = []
        self.rss = []                         # (calls begun, RSS kB)
        self.offers_seen = 0                  # CallBroadcasts the agents received
        self.requests_failed = 0              # agents' HTTP requests cut off (also on retry)
        self.claims_over_ws = 0               # claims sent down an agent's WebSocket

    def fault(self, kind, probability=None):
        """Roll for a fault; count it when it happens."""
        if self.rng.random() < (FAULTS[kind] if probability is None else probability):
            self.faults[kind] += 1
            return True
        return False

    def break_invariant(self, call, what):
        self.broken.append((call.id if call else "-", what))
        if len(self.broken) <= 20:
            print(f"INVARIANT BROKEN {call.id if call else ''}: {what}", flush=True)

    # -- AMI: the modules' events and the dialplan's report ------------------

    def on_ami(self, event):
        name = event.get("Event")
        if name not in ("StasisBroadcastBegin", "StasisBroadcastClaimed", "StasisBroadcastEnd",
                        "StasisBroadcastWinnerLost", "UserEvent"):
            return
        call = self.calls.get(event.get("Uniqueid"))
        if call is None:
            return
        if name == "UserEvent":
            if event.get("UserEvent") != "SoakEnd":
                return
            if call.report is not None:
                self.break_invariant(call, "the dialplan reported twice")
            call.report = event
        else:
            call.ami[name].append(event)
        call.check_ended()

    # -- the calls -------------------------------------------------------------

    async def originate(self, call):
        params = {"endpoint": "Local/call@soak", "context": "hold", "extension": "s",
                  "priority": "1", "channelId": call.caller_id, "otherChannelId": call.channel_id}
        response = await self.http.request("POST", "/ari/channels", params=params,
                                           body={"variables": call.variables()})
        if response.status != 200:
            raise RuntimeError(f"originate failed: {response.status} {response.body[:200]}")

    async def hang_up(self, call, delay):
        await asyncio.sleep(delay)
        if not call.ended.is_set():
            self.faults["caller_hangup"] += 1
            call.hung_up = True
            await self.http.request("DELETE", f"/ari/channels/{call.caller_id}")

    async def run_call(self, number, slots):
        call = Call(number, self.rng)
        self.calls[call.channel_id] = call
        try:
            call.started = time.monotonic()
            await self.originate(call)
            if call.hangup_after is not None:
                asyncio.ensure_future(self.hang_up(call, call.hangup_after))
            # A call whose winner vanished after StasisStart sits in Stasis
            # until somebody hangs up, as with Stasis(): the caller does.
            lifetime = call.timeout / 1000 + 5
            try:
                await asyncio.wait_for(call.ended.wait(), lifetime)
            except asyncio.TimeoutError:
                self.faults["abandoned_in_stasis"] += 1
                await self.http.request("DELETE", f"/ari/channels/{call.caller_id}")
                try:
                    await asyncio.wait_for(call.ended.wait(), 15)
                except asyncio.TimeoutError:
                    if call.hung_up and not call.ami["StasisBroadcastBegin"] and not call.report:
                        # Hung up before the call reached the dialplan at all.
                        call.never_offered = True
                    else:
                        self.break_invariant(call, "never ended (no AMI end or no dialplan report)")
        finally:
            slots.release()

    async def drive(self):
        slots = asyncio.Semaphore(self.args.in_flight)
        tasks = []
        started = time.monotonic()
        for number in range(self.args.calls):
            await slots.acquire()
            tasks.append(asyncio.ensure_future(self.run_call(number, slots)))
            if number % 1000 == 0:
                self.rss.append((number, rss_kb(self.instance)))
                rate = number / max(time.monotonic() - started, 1e-6)
                print(f"{number} calls begun, {rate:.0f}/s, faults {dict(self.faults)}", flush=True)
        await asyncio.gather(*tasks)
        self.rss.append((self.args.calls, rss_kb(self.instance)))
        return time.monotonic() - started

    # -- operator actions while calls are live ----------------------------------

    async def operator(self, stop):
        while not stop.is_set():
            await asyncio.sleep(self.rng.uniform(0.5, 2.0))
            if self.rng.random() < 0.5:
                self.faults["ari_reload"] += 1
                await self.cli("module reload res_ari.so")
            else:
                self.faults["unload_attempt"] += 1
                said = await self.cli("module unload res_stasis_broadcast.so")
                if "Unable to unload" not in said:
                    self.break_invariant(None, f"unload was not refused: {said.strip()}")

    async def cli(self, command):
        process = await asyncio.create_subprocess_exec(
            str(REPO / "sandbox" / "instance.sh"), "cli", self.instance.name, command,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out, _ = await process.communicate()
        return out.decode()

    # -- the whole run -------------------------------------------------------------

    async def run(self):
        self.instance = Instance("soak", self.args.port)
        self.instance.start()
        try:
            return await self.run_started()
        finally:
            self.instance.stop()

    async def run_started(self):
        self.instance.cli("stasis broadcast reset stats")
        before = descriptors(self.instance)
        ami = AsyncAmi(self.instance.ami_port, events="call,user")
        reader = await ami.connect(self.on_ami)
        for kind, (count, _, _) in AGENT_KINDS.items():
            for i in range(count):
                # Every other agent claims down its WebSocket, where ARI can.
                self.agents.append(Agent(self, f"soak-{kind}-{i}", kind,
                                         over_ws=REST_OVER_WEBSOCKET and i % 2 == 1))
        self.agents.append(Agent(self, "soak-stalling-0", "stalling"))
        for agent in self.agents:
            await agent.start()
        stop = asyncio.Event()
        operator = asyncio.ensure_future(self.operator(stop))
        elapsed = await self.drive()
        stop.set()
        await operator
        for agent in self.agents:
            await agent.stop()
        self.http.close()

        for call in self.calls.values():
            check_call(self, call)
        await self.settle()
        check_counters(self, self.instance.cli("stasis broadcast show stats"))
        check_leftovers(self, before)
        ami.close()
        reader.cancel()
        return self.summary(elapsed)

    async def settle(self):
        """Wait until every broadcast and channel is gone (or give up)."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if ("0 live broadcasts" in self.instance.cli("stasis broadcast show channels")
                    and "0 active channels" in self.instance.cli("core show channels count")):
                return
            await asyncio.sleep(0.2)

    def summary(self, elapsed):
        ends = collections.Counter(outcome(call) for call in self.calls.values())
        growth = rss_growth(self.rss)
        result = {"calls": len(self.calls), "seconds": round(elapsed, 1),
                  "calls_per_second": round(len(self.calls) / elapsed, 1),
                  "ends": dict(ends), "faults": dict(self.faults),
                  # Calls whose winner was lost (AMI StasisBroadcastWinnerLost),
                  # and those of them offered again.
                  "winners_lost": sum(len(c.ami["StasisBroadcastWinnerLost"])
                                      for c in self.calls.values()),
                  "offered_again": sum(1 for c in self.calls.values()
                                       if len(c.ami["StasisBroadcastBegin"]) > 1),
                  "scenarios": dict(collections.Counter(c.scenario for c in self.calls.values())),
                  "claims": dict(collections.Counter(str(s) for c in self.calls.values()
                                                     for _, s in c.claims)),
                  "claims_over_websocket": self.claims_over_ws,
                  "agent_requests_failed": self.requests_failed,
                  "invariants_broken": len(self.broken), "broken": self.broken[:50],
                  "rss_kb": self.rss, "rss_growth_after_warmup_kb": growth}
        return result


class Agent:
    """One ARI application: claims by its kind (over HTTP, or down its
    WebSocket with `over_ws`), injects faults, reconnects."""

    def __init__(self, soak, name, kind, over_ws=False):
        self.soak, self.name, self.kind, self.over_ws = soak, name, kind, over_ws
        self.rng = random.Random(f"{soak.args.seed}-{name}")
        self.http = HttpPool("127.0.0.1", soak.args.port, auth=(USER, PASSWORD))
        self.tasks = set()
        self.connections = 0
        self.stopping = False
        self.stalled = False
        self.current = None
        self.losses = []        # when a connection of ours went away (monotonic)

    async def start(self):
        await self.connect()

    async def connect(self):
        """A new connection under our name; one still open is replaced by it."""
        ws = await AsyncApp(self.soak.args.port, self.name, USER, PASSWORD).connect(
            max_queue=4 if self.kind == "stalling" else 256)
        old, self.current = self.current, ws
        self.connections += 1
        self.spawn(self.read(ws))
        if old is not None:
            await old.close()

    def spawn(self, coroutine):
        task = asyncio.ensure_future(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.done)

    def done(self, task):
        """A request cut off is what a real agent sees now and then: counted,
        and the call's invariant still has to hold. Anything else is a bug of
        the soak, and fails it."""
        self.tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if isinstance(error, (ConnectionError, asyncio.IncompleteReadError, OSError)):
            self.soak.requests_failed += 1
        elif error:
            self.soak.break_invariant(None, f"agent {self.name}: {error!r}")

    async def read(self, ws):
        async for event in ws.events():
            if self.kind == "stalling" and self.soak.offers_seen > 300:
                # From here on it never reads again; ARI gives up on it.
                self.stalled = True
                await asyncio.Event().wait()
            self.on_event(ws, event)
            if ws is not self.current:
                return  # replaced by a newer connection of ours (connect() closes it)
        if not self.stopping and ws is self.current and not self.stalled:
            # The connection went away (a reset of ours): come back under the same name.
            await asyncio.sleep(self.rng.uniform(0.01, 0.2))
            if not self.stopping:
                await self.connect()

    def on_event(self, ws, event):
        kind = event.get("type")
        call = self.soak.calls.get(event.get("channel", {}).get("id"))
        if call is None:
            return
        if kind == "CallBroadcast":
            self.soak.offers_seen += 1
            call.offered.add(self.name)
            if self.soak.fault("reset_after_offer"):
                self.reset(ws, call)
                return
            if self.soak.fault("replace"):
                self.losses.append(time.monotonic())
                self.spawn(self.connect())
            _, probability, think = AGENT_KINDS.get(self.kind, (0, 0.0, (0, 0)))
            if self.rng.random() < probability:
                self.spawn(self.claim(ws, call, self.rng.uniform(*think)))
        elif kind == "StasisStart":
            call.starts.append((self.name, event.get("args")))
            if self.soak.fault("reset_after_start"):
                self.reset(ws, call)
                return
            self.spawn(self.handle(call))
        elif kind == "CallClaimed":
            call.notified.append((self.name, event.get("winner_app")))

    def reset(self, ws, call):
        self.losses.append(time.monotonic())
        ws.reset()

    def lost_connection_during(self, call):
        """Whether a connection of ours went away while the call was on, or
        so shortly before that the new one may not have been ready for it
        (ARI queues events for a WebSocket that is not ready yet)."""
        return any(call.started - RECONNECT_WINDOW <= t <= (call.finished or t)
                   for t in self.losses)

    async def claim(self, ws, call, think):
        if think:
            await asyncio.sleep(think)
        if self.over_ws:
            self.soak.claims_over_ws += 1
            try:
                status = await ws.rest("POST", claim_uri(call.channel_id, self.name))
            except NotSent:
                raise   # never left: no claim
            except ConnectionError:
                # The connection went with the answer: won or not, we cannot tell.
                call.claims.append((self.name, None))
                raise
        else:
            status = (await self.http.request("POST", "/ari/events/claim", params={
                "channelId": call.channel_id, "application": self.name})).status
        call.claims.append((self.name, status))
        if status == 204 and ws is self.current and self.soak.fault("reset_after_claim"):
            self.reset(ws, call)

    async def handle(self, call):
        """The winner's work: continue, hang up, or answer and continue."""
        choice = self.rng.random()
        path = f"/ari/channels/{call.channel_id}"
        if choice < 0.2:
            await self.http.request("DELETE", path)
            return
        if choice < 0.3:
            await self.http.request("POST", path + "/answer")
        await self.http.request("POST", path + "/continue")

    async def stop(self):
        self.stopping = True
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.current:
            try:
                await asyncio.wait_for(self.current.close(), 2)
            except (asyncio.TimeoutError, Exception):
                self.current.reset()
        self.http.close()


# -- the invariant of one call ---------------------------------------------------

def outcome(call):
    """How the call ended, from the AMI end event: the name a summary counts."""
    ends = call.ami["StasisBroadcastEnd"]
    if call.never_offered:
        return "hung up before the dialplan"
    if not ends:
        return "unended"
    status, reason = ends[0].get("Status"), ends[0].get("Reason")
    if reason == "WINNER_LOST":
        return "winner lost, nobody left"
    if status == "TIMEOUT" and ends[0].get("Recipients") == "0":
        return "no recipients"
    return status


def check_call(soak, call):
    def broken(what):
        soak.break_invariant(call, what)

    agents = {agent.name: agent for agent in soak.agents}

    if call.never_offered:
        return
    ends, claimed = call.ami["StasisBroadcastEnd"], call.ami["StasisBroadcastClaimed"]
    begins, lost = call.ami["StasisBroadcastBegin"], call.ami["StasisBroadcastWinnerLost"]
    if len(ends) != 1 or call.report is None:
        broken(f"{len(ends)} AMI ends, report {'present' if call.report else 'missing'}")
        return
    end, report = ends[0], call.report
    status, winner = end["Status"], end["Winner"]
    won = [agent for agent, status_code in call.claims if status_code == 204]
    unknown = {agent for agent, status_code in call.claims if status_code is None}
    starts = {agent for agent, _ in call.starts}
    winners = [e["Winner"] for e in claimed]            # one per offer that was claimed
    lost_winners = [e["Winner"] for e in lost]

    # One end, told alike by the dialplan and AMI; one begin per offer.
    offers = int(end["Offers"])
    if len(begins) != offers or [int(b["Offer"]) for b in begins] != list(range(1, offers + 1)):
        broken(f"{len(begins)} StasisBroadcastBegin, offers {[b['Offer'] for b in begins]}, "
               f"AMI end says {offers} offers")
    if lost_winners != winners[:len(lost_winners)] or len(lost_winners) < offers - 1:
        broken(f"winners {winners}, lost {lost_winners}, {offers} offers")
    if report["Returned"] == "1" and report["Status"] != status:
        broken(f"STASISSTATUS {report['Status']} but AMI says {status}")
    # Hung up before it returned: AMI tells how the broadcast had ended --
    # STASISSTATUS if the application set one, else HANGUP, or TIMEOUT for a
    # timeout the caller hung up on before the application returned.
    if report["Returned"] != "1" and status not in (
            [report["Status"]] if report["Status"] else ["HANGUP", "TIMEOUT"]):
        broken(f"hung up with STASISSTATUS {report['Status']!r}, but AMI says {status}")
    if report["Recipients"] != end["Recipients"]:
        broken(f"STASISBROADCAST_RECIPIENTS {report['Recipients']} vs AMI {end['Recipients']}")
    if report["Winner"] != winner and report["Status"]:
        broken(f"STASISBROADCAST_WINNER {report['Winner']!r} vs AMI {winner!r}")
    if report["Status"] and (report["Offers"], report["Reason"]) != (end["Offers"], end["Reason"]):
        broken(f"STASISBROADCAST_OFFERS/_REASON {report['Offers']}/{report['Reason']} vs AMI "
               f"{end['Offers']}/{end['Reason']}")

    # At most one winner an offer, the same everywhere; StasisStart only there.
    if len(set(won)) != len(won) or len(winners) > offers:
        broken(f"claims accepted {won} for {offers} offers")
    if winner:
        # The final winner is the last offer's, and not lost. Every winner's
        # 204 is seen, unless the WebSocket it claimed down went away with
        # the answer.
        if winners[-1:] != [winner] or winner in lost_winners[len(winners) - 1:] \
                or any(w not in won and w not in unknown for w in winners) \
                or any(w not in winners for w in won):
            broken(f"winner {winner}, accepted claims {won}, AMI claimed {winners}, "
                   f"lost {lost_winners}")
        # StasisStart in flight to a connection of the winner that was reset
        # is lost with it, as with Stasis(); otherwise the winner must see it.
        if (status == "SUCCESS" and winner not in starts
                and not agents[winner].lost_connection_during(call)):
            broken(f"SUCCESS but {winner} never got StasisStart")
    elif set(won) - set(lost_winners) or len(winners) != len(lost_winners):
        broken(f"{status} without a winner, yet claims accepted {won}, AMI claimed {winners}, "
               f"lost {lost_winners}")
    if starts - {winner} - set(lost_winners):
        broken(f"StasisStart at {starts - {winner} - set(lost_winners)}, the winner is "
               f"{winner!r}, lost {lost_winners}")
    if call.args and any(args != call.args.split(":") for _, args in call.starts):
        broken(f"StasisStart args {[a for _, a in call.starts]} for {call.args}")

    # Who was offered the call, and who heard of the claim.
    recipients = max(int(b["Recipients"]) for b in begins + [end]) if begins else 0
    if len(call.offered) > recipients:
        broken(f"{len(call.offered)} agents got CallBroadcast, Recipients {recipients}")
    if call.app_filter and any(not re.search(call.app_filter, a) for a in call.offered):
        broken(f"filter {call.app_filter} but offered to {call.offered}")
    if call.notified and (not call.notify or not winners
                          or any(w not in winners for _, w in call.notified)):
        broken(f"CallClaimed {call.notified} (notify {call.notify}, winners {winners})")
    for agent, _ in call.notified:
        if agent not in call.offered and not agents[agent].lost_connection_during(call):
            broken(f"CallClaimed to {agent}, which was not offered the call "
                   f"(offered {sorted(call.offered)}, {agents[agent].connections} connections)")


def check_counters(soak, stats):
    """The CLI's counters add up to the calls' ends and the claims seen."""
    def count(label):
        match = re.search(rf"^\s*{re.escape(label)}:?\s+(\d+)", stats, re.M)
        return int(match.group(1)) if match else None

    ends = collections.Counter(outcome(call) for call in soak.calls.values())
    claims = collections.Counter(s for c in soak.calls.values() for _, s in c.claims)
    # Each offer of a call is a broadcast; a claimed one whose winner was lost
    # counts as claimed, and the offer after it among the broadcasts.
    offers = sum(len(c.ami["StasisBroadcastBegin"]) for c in soak.calls.values())
    lost = sum(len(c.ami["StasisBroadcastWinnerLost"]) for c in soak.calls.values())
    refused = sum(1 for c in soak.calls.values()
                  if not c.ami["StasisBroadcastBegin"] and outcome(c) == "FAILED")
    expected = {
        "Broadcasts": offers + refused,
        "claimed": ends["SUCCESS"] + ends["FAILED"] + lost,
        # A broadcast whose last send was still out when the timeout came is
        # "timed out" with nobody live; one whose recipients all left is
        # "nobody left": these three are compared as one.
        "timed out + no recipients": ends["TIMEOUT"] + ends["no recipients"],
        "hung up": ends["HANGUP"],
        "failed": ends["FAILED"],
        "re-offers": offers - sum(1 for c in soak.calls.values() if c.ami["StasisBroadcastBegin"]),
        "Winners lost": lost,
    }
    got = {label: count(label) for label in expected if "+" not in label}
    got["timed out + no recipients"] = count("timed out") + count("no recipients") \
        + count("nobody left")
    if got != expected:
        soak.break_invariant(None, f"CLI counters {got} vs the calls' ends {expected}")
    # Claims: as the agents saw them, plus those whose answer was lost with
    # the WebSocket they went down (None): any of the three, or none if the
    # reset took the request too.
    labels = {204: "accepted (204)", 409: "conflict (409)", 404: "refused (404)"}
    extra = {code: count(label) - claims[code] for code, label in labels.items()}
    if any(n < 0 for n in extra.values()) or sum(extra.values()) > claims[None]:
        soak.break_invariant(None, f"CLI claim counters {extra} more than the agents saw, "
                             f"{claims[None]} answers lost")


def check_leftovers(soak, before):
    # ARI notices a reset WebSocket, and the HTTP server a closed keep-alive
    # connection, on its next read: give them a moment.
    deadline = time.monotonic() + 30
    after = descriptors(soak.instance)
    while after["all"] > before["all"] + 2 and time.monotonic() < deadline:
        time.sleep(0.5)
        after = descriptors(soak.instance)
    if "0 live broadcasts" not in soak.instance.cli("stasis broadcast show channels"):
        soak.break_invariant(None, "broadcasts left behind")
    if "0 active channels" not in soak.instance.cli("core show channels count"):
        soak.break_invariant(None, "channels left behind")
    if after["eventfd"] > before["eventfd"]:
        soak.break_invariant(None, f"eventfds {before['eventfd']} -> {after['eventfd']}")
    if after["all"] > before["all"] + 2:
        soak.break_invariant(None, f"file descriptors {before['all']} -> {after['all']}: "
                                   f"{socket_names(pid_of(soak.instance), after['targets'])}")
    soak.descriptors = {"before": before["all"], "after": after["all"]}


def descriptors(instance):
    """Asterisk's open file descriptors: all, and eventfds (a broadcast's alert
    pipe and every channel hold one)."""
    fds = Path(f"/proc/{pid_of(instance)}/fd")
    links = []
    for fd in fds.iterdir():
        try:
            links.append(os.readlink(fd))
        except OSError:
            pass
    return {"all": len(links), "eventfd": sum(1 for l in links if l == "anon_inode:[eventfd]"),
            "targets": links}


def socket_names(pid, targets):
    """socket:[inode] -> "tcp local -> remote state", for a report."""
    names = {}
    for table in ("tcp", "tcp6", "unix"):
        try:
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if table == "unix":
                names[fields[6]] = "unix " + (fields[7] if len(fields) > 7 else "")
            else:
                names[fields[9]] = f"{table} {ip_port(fields[1])} -> {ip_port(fields[2])} st {fields[3]}"
    return [names.get(t[8:-1], t) if t.startswith("socket:[") else t for t in targets]


def ip_port(hex_pair):
    address, port = hex_pair.split(":")
    if len(address) == 8:
        address = ".".join(str(int(address[i:i + 2], 16)) for i in (6, 4, 2, 0))
    return f"{address}:{int(port, 16)}"


def pid_of(instance):
    return int((instance.dir / "run" / "asterisk.pid").read_text())


def rss_kb(instance):
    for line in Path(f"/proc/{pid_of(instance)}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def rss_growth(samples):
    """RSS growth from the end of warm-up (a quarter of the calls) to the end."""
    if len(samples) < 3:
        return None
    warm = samples[max(1, len(samples) // 4)][1]
    return samples[-1][1] - warm


def main():
    parser = argparse.ArgumentParser(description="StasisBroadcast fault soak")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--in-flight", type=int, default=16)
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--port", type=int, default=8097)
    parser.add_argument("--report", help="write the summary as JSON here")
    parser.add_argument("--max-rss-growth-kb", type=int, default=None,
                        help="fail if RSS grows more than this after warm-up")
    args = parser.parse_args()
    result = asyncio.run(Soak(args).run())
    if args.max_rss_growth_kb is not None and (result["rss_growth_after_warmup_kb"] or 0) > args.max_rss_growth_kb:
        result["invariants_broken"] += 1
        result["broken"].append(("-", f"RSS grew {result['rss_growth_after_warmup_kb']} kB after warm-up"))
    print(json.dumps(result, indent=1))
    if args.report:
        Path(args.report).write_text(json.dumps(result, indent=1))
    print(f"summary: {result['calls']} calls at {result['calls_per_second']}/s, "
          f"{sum(result['faults'].values())} faults, {result['invariants_broken']} invariants broken, "
          f"{result['agent_requests_failed']} agent requests cut off")
    sys.exit(1 if result["invariants_broken"] else 0)


if __name__ == "__main__":
    main()
