"""SPEC section 8: the claim route authenticates exactly like the rest of ARI.

Where Asterisk has no claim route of its own, ours serves POST
/ari/events/claim and reads ari.conf itself. Each case sends the same
credentials to the claim route and to one of ARI's own routes on the same
host (POST /ari/channels/{id}/answer) and compares the whole refusal: status,
reason, the challenge header, the body. Where Asterisk routes the claim itself
(22.10+) the same comparisons hold trivially, which is what "drop-in" means.

The instance has its own ari.conf with a plain, a crypt, a read-only and (where
ARI has user ACLs: 20.19+, 22.9+, 23.3+) an ACL-restricted user, and a realm of
its own. Where the claim travels as a RESTRequest down an application's
WebSocket, the same comparisons are made there.
"""

import re

import pytest
import requests

from ari import Ari, App
from helpers import ARI_USER_ACLS, ASTERISK_CLAIM_ROUTE, REST_OVER_WEBSOCKET
from waiting import wait_until
from instance import Instance

pytestmark = [pytest.mark.edge, pytest.mark.instance]

PORT = 8096
REALM = "StasisBroadcast test realm"
ARI_CONF = """\
[general]
enabled = yes
pretty = no
auth_realm = {realm}

[plain]
type = user
password = plain-secret

[crypted]
type = user
password_format = crypt
password = {crypted}

[reader]
type = user
read_only = yes
password = reader-secret
{fenced}{extra}"""
FENCED = """
[fenced]
type = user
password = fenced-secret
deny = 127.0.0.0/8
"""


def write_ari_conf(path, crypted, extra="", enabled="yes"):
    text = ARI_CONF.format(realm=REALM, crypted=crypted, extra=extra,
                           fenced=FENCED if ARI_USER_ACLS else "")
    path.write_text(text.replace("enabled = yes", f"enabled = {enabled}"))


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    overlay = tmp_path_factory.mktemp("auth-overlay")
    # The crypt hash is made by ARI itself (ari mkpasswd) once Asterisk runs.
    write_ari_conf(overlay / "ari.conf", crypted="x")
    instance = Instance("auth", PORT, overlay=overlay).start()
    try:
        crypted = re.search(r"password\s*=\s*(\S+)", instance.cli("ari mkpasswd crypt-secret")).group(1)
        instance.crypted = crypted
        reconfigure(instance, crypted=crypted)
        yield instance
    finally:
        instance.stop()


def reconfigure(instance, crypted=None, **kwargs):
    """Rewrite the instance's ari.conf and reload res_ari, then wait until the
    claim route and ARI both answer as the new file says (the route follows
    ARI's reload asynchronously)."""
    crypted = crypted or instance.crypted
    write_ari_conf(instance.dir / "etc" / "ari.conf", crypted, **kwargs)
    instance.cli("module reload res_ari.so")


def followed(instance):
    """How many changes of other modules StasisBroadcast has followed (its
    taskprocessor's count): it follows res_ari's reloads after them."""
    shown = instance.cli("core show taskprocessors like stasis_broadcast_modules")
    return int(re.search(r"stasis_broadcast_modules\s+(\d+)", shown).group(1))


BASE = f"http://127.0.0.1:{PORT}/ari"
CLAIM = ("/events/claim", {"channelId": "no-such-channel", "application": "someapp"})
ARI_OWN = ("/channels/no-such-channel/answer", {})
# The resource of ours in ARI's tree (SPEC section 9): ARI's by construction.
OUR_RESOURCE = [("/broadcasts/no-such-channel/claim", {"application": "someapp"}),
                ("/broadcasts/no-such-channel/decline", {"application": "someapp"})]
ROUTES = pytest.mark.parametrize("route", [CLAIM] + OUR_RESOURCE,
                                 ids=["events-claim", "broadcasts-claim", "broadcasts-decline"])


def answer(route, auth=None, api_key=None, method="POST"):
    """Everything a client sees of a refusal."""
    path, params = route
    params = dict(params)
    if api_key is not None:
        params["api_key"] = api_key
    response = requests.request(method, BASE + path, params=params, auth=auth, timeout=10)
    return (response.status_code, response.reason, response.headers.get("WWW-Authenticate"),
            response.headers.get("Content-type"), response.text)


def same_refusal(status, route=CLAIM, **credentials):
    ours, theirs = answer(route, **credentials), answer(ARI_OWN, **credentials)
    assert ours == theirs
    assert ours[0] == status, ours
    return ours


def accepted(**credentials):
    """Both routes let the request through (to their own 404 for no channel)."""
    ours, theirs = answer(CLAIM, **credentials), answer(ARI_OWN, **credentials)
    assert ours[0] == 404 and theirs[0] == 404, (ours, theirs)
    return True


@ROUTES
def test_no_credentials(host, route):
    refusal = same_refusal(401, route)
    assert refusal[2] == f'Basic realm="{REALM}"'
    assert refusal[4] == '{"message":"Authentication required"}'


@ROUTES
@pytest.mark.parametrize("auth", [("plain", "wrong"), ("plain", ""), ("nobody", "plain-secret"),
                                  ("crypted", "wrong"), ("crypted", "x")])
def test_wrong_or_missing_password(host, auth, route):
    same_refusal(401, route, auth=auth)


@pytest.mark.parametrize("api_key", ["plain:wrong", "plain", "plain:", ":plain-secret",
                                     "nobody:plain-secret"])
def test_api_key_with_a_wrong_secret(host, api_key):
    same_refusal(401, api_key=api_key)


def test_plain_and_crypt_passwords_and_api_key_are_accepted(host):
    assert accepted(auth=("plain", "plain-secret"))
    assert accepted(auth=("crypted", "crypt-secret"))
    assert accepted(api_key="plain:plain-secret")
    assert accepted(api_key="crypted:crypt-secret")


def test_basic_auth_wins_over_api_key(host):
    same_refusal(401, auth=("plain", "wrong"), api_key="plain:plain-secret")
    assert accepted(auth=("plain", "plain-secret"), api_key="plain:wrong")


@ROUTES
def test_read_only_user_may_not_claim(host, route):
    refusal = same_refusal(403, route, auth=("reader", "reader-secret"))
    assert refusal[4] == '{"message":"Write access denied"}'


def test_read_only_user_may_list_broadcasts(host):
    assert answer(("/broadcasts", {}), auth=("reader", "reader-secret"), method="GET")[:2] \
        == (200, "OK")


@pytest.mark.parametrize("document", ["resources.json", "broadcasts.json", "events.json"])
def test_our_documents_are_refused_as_aris_own(host, document):
    """/ari/api-docs/...: ours answer unauthenticated requests as ARI answers
    for a document of its own."""
    ours = answer((f"/api-docs/{document}", {}), method="GET")
    theirs = answer(("/api-docs/asterisk.json", {}), method="GET")
    assert ours == theirs and ours[0] == 401, (ours, theirs)


@ROUTES
@pytest.mark.skipif(not ARI_USER_ACLS, reason="this ARI has no user ACLs")
def test_user_acl_is_applied(host, route):
    refusal = same_refusal(403, route, auth=("fenced", "fenced-secret"))
    assert refusal[4] == '{"message":"Access denied by ACL"}'


def test_a_reload_of_ari_conf_takes_effect(host):
    extra = "\n[newcomer]\ntype = user\npassword = new-secret\n"
    try:
        # Not before ARI reloads: a changed file alone changes nothing.
        write_ari_conf(host.dir / "etc" / "ari.conf", host.crypted, extra=extra)
        same_refusal(401, auth=("newcomer", "new-secret"))
        host.cli("module reload res_ari.so")
        wait_until(lambda: answer(CLAIM, auth=("newcomer", "new-secret"))[0] == 404, 10,
                   "the claim route to accept the new user")
        assert accepted(auth=("newcomer", "new-secret"))
    finally:
        reconfigure(host)
        wait_until(lambda: answer(CLAIM, auth=("newcomer", "new-secret"))[0] == 401, 10,
                   "the claim route to forget the user")


def test_a_user_this_ari_refuses_is_refused_on_the_claim_route_too(host):
    """A user option ARI does not know (an ACL where ARI has none): what ARI
    keeps of the file (all of it before 20.19/22.9/23.3, or the other users
    after), the claim route keeps too."""
    option = "colour = red" if ARI_USER_ACLS else "deny = 10.0.0.0/8"
    extra = (f"\n[newcomer]\ntype = user\npassword = new-secret\n{option}\n"
             "\n[other]\ntype = user\npassword = other-secret\n")
    try:
        seen = followed(host)
        reconfigure(host, extra=extra)
        if not ASTERISK_CLAIM_ROUTE:
            wait_until(lambda: followed(host) > seen, 10, "StasisBroadcast to follow the reload")
        same_refusal(401, auth=("newcomer", "new-secret"))
        ours, theirs = answer(CLAIM, auth=("other", "other-secret")), \
            answer(ARI_OWN, auth=("other", "other-secret"))
        assert (ours[0], theirs[0]) in ((401, 401), (404, 404)), (ours, theirs)
        assert accepted(auth=("plain", "plain-secret"))
    finally:
        reconfigure(host)
        wait_until(lambda: answer(CLAIM, auth=("other", "other-secret"))[0] == 401, 10,
                   "the claim route to forget the user")


@pytest.mark.skipif(not REST_OVER_WEBSOCKET, reason="this Asterisk has no REST over WebSocket")
@pytest.mark.parametrize("user, password", [("plain", "plain-secret"), ("reader", "reader-secret")])
def test_over_websocket_as_on_aris_own_routes(host, user, password):
    """A RESTRequest down the application's WebSocket: the claim is answered
    as ARI's own route is, for a read-only user too, and with a wrong api_key
    in the request."""
    app = App(Ari(PORT, user=user, password=password), f"ws-{user}")
    try:
        for suffix in ("", "&api_key=plain:wrong"):
            ours = app.rest("POST", f"{CLAIM[0][1:]}?channelId=no-such-channel"
                            f"&application={app.name}{suffix}")
            theirs = app.rest("POST", f"{ARI_OWN[0][1:]}?{suffix[1:]}")
            assert ours[0] == theirs[0], (user, suffix, ours, theirs)
            if ours[0] != 404:
                assert ours == theirs
    finally:
        app.close()


def test_disabled_ari_is_disabled_for_the_claim_route_too(host):
    try:
        reconfigure(host, enabled="no")
        wait_until(lambda: answer(CLAIM, auth=("plain", "plain-secret"))[0] == 404
                   and "Channel" not in answer(CLAIM, auth=("plain", "plain-secret"))[4], 10,
                   "the claim route to go away with ARI")
        ours = answer(CLAIM, auth=("plain", "plain-secret"))
        assert ours == answer(ARI_OWN, auth=("plain", "plain-secret"))
        assert ours[0] == 404 and "application/json" not in (ours[3] or "")
    finally:
        reconfigure(host)
        wait_until(lambda: answer(CLAIM, auth=("plain", "plain-secret"))[0] == 404
                   and "Channel" in answer(CLAIM, auth=("plain", "plain-secret"))[4], 10,
                   "the claim route to come back with ARI")
    assert accepted(auth=("plain", "plain-secret"))
