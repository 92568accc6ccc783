"""A winner already gone (SPEC section 9): on every release, a claim sent in
the name of a recipient whose connection closed (over HTTP: its WebSocket is
gone) is refused, and the call stays on offer to the others. Where res_stasis
tells modules an application unregistered (UNREGISTER_TOLD) it is no longer a
recipient; elsewhere the claim finds it not registered. (A winner that goes in
the instant between its accepted claim and Stasis is offered again: the unit
test recipients_gone; that instant cannot be hit on purpose from outside.)
"""

import pytest

from helpers import only, release
from waiting import wait_until

pytestmark = [pytest.mark.ours_only, pytest.mark.edge]


def test_a_claim_for_a_recipient_already_gone_is_refused_and_loses_nothing(
        apps, calls, observer, ari):
    gone, other = apps.app("gone"), apps.app("other")
    call = calls.offer(timeout=10000, app_filter=only(apps))
    for app in (gone, other):
        app.wait_for("CallBroadcast", call.channel_id)
    gone.close()
    wait_until(lambda: gone.name not in {a["name"] for a in ari.request("GET", "/applications").json()},
               10, "ARI to unregister the closed application")

    assert gone.claim(call.channel_id) == 404
    assert other.claim(call.channel_id) == 204
    release(other, call)
    report = observer.report(call)
    assert (report["status"], report["winner"], report["offers"], report["reason"]) == \
        ("SUCCESS", other.name, 1, "CLAIMED"), report
