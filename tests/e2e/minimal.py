"""Asterisk instances with only the configuration files a test needs, as
Asterisk's own testsuite starts them (asterisk.conf, logger.conf, modules.conf
and the dialplan come from the sandbox; the test gives the rest)."""

import re
import shutil
import tempfile
from pathlib import Path

import requests

from ari import Ari, Observer, Racer
from instance import Instance

HTTP = "[general]\nenabled = yes\nbindaddr = 127.0.0.1\nbindport = @PORT@\n"
HTTP_DISABLED = "[general]\nenabled = no\n"
ARI = "[general]\nenabled = yes\n\n[test]\ntype = user\npassword = test\n"
ARI_DISABLED = "[general]\nenabled = no\n\n[test]\ntype = user\npassword = test\n"
PROMETHEUS = "[general]\nenabled = yes\nuri = metrics\n"
OURS = ("res_stasis_broadcast.so", "app_stasis_broadcast.so")
# Our metrics: a module of its own, which requires res_prometheus.
METRICS = "res_stasis_broadcast_prometheus.so"
PORT = 8150


def ari_files(**extra):
    """http.conf and ari.conf for ARI on PORT, and EXTRA files (name=text)."""
    return {"http.conf": HTTP, "ari.conf": ARI, **extra}


class Minimal:
    """An Asterisk on PORT with only the configuration files given (name ->
    text), running our modules or (TARGET "stock") the stock ones."""

    def __init__(self, target, files, **options):
        self.overlay = Path(tempfile.mkdtemp(prefix="sb-minimal-"))
        for name, text in files.items():
            (self.overlay / name).write_text(text)
        self.instance = Instance(f"minimal-{target}", PORT, stock=(target == "stock"),
                                 overlay=self.overlay, minimal=True, **options)
        self.target = target
        self.ari = Ari(PORT)

    def __enter__(self):
        self.instance.start()
        return self

    def __exit__(self, *exc):
        self.instance.stop()
        shutil.rmtree(self.overlay, ignore_errors=True)

    def cli(self, command):
        return self.instance.cli(command)

    def write(self, name, text):
        """Change a configuration file of the running instance."""
        (self.instance.dir / "etc" / name).write_text(text.replace("@PORT@", str(PORT)))

    def running(self, module):
        shown = self.cli(f"module show like {module}")
        row = re.search(rf"^{re.escape(module)}\s.*?\s(Not Running|Running)\s", shown, re.M)
        return bool(row) and row.group(1) == "Running"

    def ours_run(self):
        return all(self.running(module) for module in OURS)

    def claimed(self, timeout=3000, over_ws=False):
        """Offer a call to one racing application: (status, winner, name)."""
        racer = Racer(self.ari, f"racer-{self.target}", over_ws=over_ws)
        observer = Observer(self.ari, f"observer-{self.target}")
        try:
            call = self.ari.originate("offer", {"BC_TIMEOUT": str(timeout),
                                                "BC_FILTER": f"^{racer.name}$",
                                                "BC_OBSERVER": observer.name})
            status, winner, _, _ = observer.result(call)
            call.hangup()
            return status, winner, racer.name
        finally:
            racer.close()
            observer.close()

    def assert_claimed(self, over_ws=False):
        status, winner, racer = self.claimed(over_ws=over_ws)
        assert status == "SUCCESS", (status, winner)
        if self.target == "ours":
            assert winner == racer

    def metrics(self):
        response = requests.get(f"http://127.0.0.1:{PORT}/metrics", timeout=10)
        return response.text if response.status_code == 200 else None

    def our_metrics_shown(self):
        text = self.metrics()
        return text is not None and "asterisk_stasis_broadcast_broadcasts_total" in text
