"""The instance under test runs our modules, and their own unit tests pass."""

import re

import pytest

pytestmark = pytest.mark.ours_only


def test_instance_runs_our_modules(asterisk):
    shown = asterisk.cli("module show like stasis_broadcast")
    # The CLI shows 40 characters of a description; ours differ from stock's in them.
    assert re.search(r"res_stasis_broadcast\.so\s+StasisBroadcast strict: broadcast", shown), shown
    assert re.search(r"app_stasis_broadcast\.so\s+StasisBroadcast strict: dialplan", shown), shown
    for module in ("res_stasis_broadcast.so", "app_stasis_broadcast.so"):
        assert not (asterisk.dir / "modules" / module).is_symlink(), f"{module} is the packaged one"


def test_application_help_is_ours(asterisk):
    shown = asterisk.cli("core show application StasisBroadcast")
    assert "live WebSocket" in shown
    assert "STASISBROADCAST_RECIPIENTS" in shown


def test_unit_tests_pass_inside_asterisk(asterisk):
    output = asterisk.cli("test execute category /res/stasis_broadcast/")
    summary = re.search(r"(\d+) Test\(s\) Executed\s+(\d+) Passed\s+(\d+) Failed", output)
    assert summary, output
    executed, passed, failed = map(int, summary.groups())
    assert executed >= 10 and failed == 0 and passed == executed, output
