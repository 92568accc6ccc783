"""Start, stop and talk to a sandboxed Asterisk instance (inside the root)."""

import os
import re
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "sandbox" / "instance.sh"


class Instance:
    """One Asterisk. `overlay` is a directory of configuration files laid over
    the sandbox's; with `minimal`, the instance has only the files a test
    needs: asterisk.conf, logger.conf, modules.conf, the dialplan and the
    overlay's (see instance.sh). `noload` and `absent` name modules to keep
    from loading, or out of the module directory; `docs=False` installs our
    modules without their documentation XML. `build` is the directory our
    modules come from (a variant's: build/serializers), `modules` more module
    files to add (a benchmark's)."""

    def __init__(self, name, port, stock=False, overlay=None, addr="127.0.0.1", sip=None,
                 dialplan=None, system_modules=False, minimal=False, noload=(), absent=(),
                 docs=True, build=None, modules=(), src=None):
        self.name = name
        self.port = port
        self.stock = stock
        self.system_modules = system_modules  # the installed ones, ours too (a package)
        self.overlay = overlay
        self.addr = addr
        self.sip = sip            # a pjsip.conf template: load PJSIP (a SIP node)
        self.dialplan = dialplan
        self.minimal = minimal
        self.noload = list(noload)
        self.absent = list(absent)
        self.docs = docs
        self.build = build
        self.src = src            # another source tree our modules are installed from
        self.modules = list(modules)
        self.dir = Path("/var/lib/sb") / name

    def start(self):
        args = [str(SCRIPT), "start", self.name, "--port", str(self.port)]
        if self.stock:
            args.append("--stock")
        if self.system_modules:
            args.append("--system-modules")
        if self.overlay:
            args += ["--overlay", str(self.overlay)]
        if self.addr != "127.0.0.1":
            args += ["--addr", self.addr]
        if self.sip:
            args += ["--sip", str(self.sip)]
        if self.dialplan:
            args += ["--dialplan", str(self.dialplan)]
        if self.minimal:
            args.append("--minimal")
        for module in self.noload:
            args += ["--noload", module]
        for module in self.absent:
            args += ["--absent", module]
        if not self.docs:
            args.append("--no-docs")
        for module in self.modules:
            args += ["--module", str(module)]
        env = {**os.environ, "BUILD": self.build} if self.build else None
        if self.src:
            env = {**(env or os.environ), "MODULES_SRC": str(self.src)}
        subprocess.run(args, check=True, env=env)
        return self

    def stop(self):
        subprocess.run([str(SCRIPT), "stop", self.name], check=False)

    def cli(self, command):
        done = subprocess.run([str(SCRIPT), "cli", self.name, command],
                              check=True, capture_output=True, text=True)
        return done.stdout

    @property
    def pid(self):
        """The running Asterisk's process id (its pid file)."""
        return int((self.dir / "run" / "asterisk.pid").read_text())

    @property
    def ami_port(self):
        return self.port + 1000

    @property
    def log_path(self):
        return self.dir / "log" / "messages.log"

    def log_mark(self):
        """A position in the log; pass it to log_since()."""
        try:
            return os.path.getsize(self.log_path)
        except OSError:
            return 0

    def log_since(self, mark):
        with open(self.log_path, "rb") as log:
            log.seek(mark)
            return log.read().decode("utf-8", "replace")

    def wait_log(self, mark, pattern, timeout=5):
        """The first match of PATTERN in the log since MARK, waiting for it:
        Asterisk's logger thread writes the file a little after the fact."""
        deadline = time.monotonic() + timeout
        while True:
            log = self.log_since(mark)
            match = re.search(pattern, log)
            if match or time.monotonic() > deadline:
                assert match, f"no {pattern!r} in the log within {timeout} s: {log[-2000:]}"
                return match
            time.sleep(0.02)
