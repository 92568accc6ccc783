"""The instance under test runs our modules, and their own unit tests pass."""

import re

import pytest

from helpers import ASTERISK_CLAIM_ROUTE

pytestmark = [pytest.mark.ours_only, pytest.mark.edge]


def test_instance_runs_our_modules(asterisk):
    shown = asterisk.cli("module show like stasis_broadcast")
    # The CLI shows 40 characters of a description; ours differ from stock's in them.
    assert re.search(r"res_stasis_broadcast\.so\s+StasisBroadcast strict: broadcast", shown), shown
    assert re.search(r"app_stasis_broadcast\.so\s+StasisBroadcast strict: dialplan", shown), shown
    for module in ("res_stasis_broadcast.so", "app_stasis_broadcast.so"):
        assert not (asterisk.dir / "modules" / module).is_symlink(), f"{module} is the packaged one"


def test_application_help_is_ours(asterisk):
    """Our text, from docs/xml where Asterisk shows it, else the same text
    registered with the application (see src/app); wrapped as Asterisk wraps."""
    shown = " ".join(asterisk.cli("core show application StasisBroadcast").split())
    assert "live WebSocket" in shown
    assert "STASISBROADCAST_RECIPIENTS" in shown


def test_application_documentation_comes_from_docs_xml(asterisk):
    """Registered as Asterisk's own applications are, from docs/xml, except
    where the core's documentation of the stock StasisBroadcast wins over ours
    (20.20+, 22.10+, 23.4+): there Asterisk shows no syntax section for text
    registered with the application."""
    shown = re.sub(r"\x1b\[[0-9;]*m", "", asterisk.cli("core show application StasisBroadcast"))
    syntax = re.search(r"\[Syntax\]\S*\s+(.*?)\n", shown)
    assert syntax, shown
    if ASTERISK_CLAIM_ROUTE:
        assert "Not Available" in syntax.group(1), shown
    else:
        assert syntax.group(1).startswith("StasisBroadcast("), shown
        assert re.search(r"\[Arguments\].*app_filter", shown, re.S), shown


def test_unit_tests_pass_inside_asterisk(asterisk):
    output = asterisk.cli("test execute category /res/stasis_broadcast/")
    summary = re.search(r"(\d+) Test\(s\) Executed\s+(\d+) Passed\s+(\d+) Failed", output)
    assert summary, output
    executed, passed, failed = map(int, summary.groups())
    assert executed >= 15 and failed == 0 and passed == executed, output
