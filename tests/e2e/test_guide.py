"""Every command in docs/guide.md runs as written (ports and placeholders aside)."""

import re
import shlex
import subprocess

import pytest

from ari import App
from conftest import REPO
from helpers import REST_OVER_WEBSOCKET

GUIDE = (REPO / "docs" / "guide.md").read_text()
SH_BLOCKS = re.findall(r"```sh\n(.*?)```", GUIDE, re.S)
SH_LINES = [line for block in SH_BLOCKS for line in block.splitlines() if line.strip()]


@pytest.mark.ours_only
def test_every_cli_command_exists_and_succeeds(asterisk):
    commands = re.findall(r'asterisk -rx "([^"]+)"', GUIDE)
    assert len(commands) >= 10
    for command in commands:
        output = asterisk.cli(command)
        assert not re.search(r"No such command|Unable to|Command '.*' failed", output), \
            (command, output)


def test_make_commands_build_and_stage(tmp_path):
    makes = [line for line in SH_LINES if line.startswith("make")]
    assert len(makes) == 4
    for line in makes:
        words = [w for w in shlex.split(line) if not w.startswith("DESTDIR=")]
        if "install" in words:
            words.append(f"DESTDIR={tmp_path}")
        subprocess.run(words + ["-s"], cwd=REPO, check=True, capture_output=True)
    staged = {p.name for p in tmp_path.rglob("*") if p.is_file()}
    assert {"res_stasis_broadcast.so", "app_stasis_broadcast.so",
            "res_stasis_broadcast-en_US.xml"} <= staged


@pytest.mark.instance
def test_curl_claim_answers_as_documented(samples, sample_ari):
    curl, = [line for line in SH_LINES if line.startswith("curl")]
    curl = curl.replace("127.0.0.1:8088", f"127.0.0.1:{samples.port}")

    def run(channel_id):
        command = curl.replace("CHANNEL_ID", channel_id)
        return subprocess.run(command, shell=True, check=True, capture_output=True,
                              text=True).stdout.strip()

    assert run("no-such-channel") == "404"
    sales = App(sample_ari, "sales-1")
    try:
        call = sample_ari.originate("200", context="from-pstn")
        sales.wait_for("CallBroadcast", call.channel_id)
        assert run(call.channel_id) == "204"
        assert run(call.channel_id) == "409"
        call.hangup()
    finally:
        sales.close()


@pytest.mark.instance
@pytest.mark.skipif(not REST_OVER_WEBSOCKET, reason="this Asterisk has no REST over WebSocket")
def test_rest_request_claim_answers_as_documented(samples, sample_ari):
    request, = [block for block in re.findall(r"```json\n(.*?)```", GUIDE, re.S)
                if "RESTRequest" in block]
    sales = App(sample_ari, "sales-1")
    try:
        call = sample_ari.originate("200", context="from-pstn")
        sales.wait_for("CallBroadcast", call.channel_id)
        sales.ws.send(request.replace("CHANNEL_ID", call.channel_id))
        assert sales.rest_response("r1") == (204, None)
        call.hangup()
    finally:
        sales.close()
