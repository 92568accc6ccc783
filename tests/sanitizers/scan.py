"""Read sanitizer and valgrind reports and say which are about our code.

    python3 tests/sanitizers/scan.py DIR...

Asterisk itself is not instrumented, but runs with the sanitizer runtime (or
under valgrind), so the reports may be about Asterisk as well as about our
modules: at exit LeakSanitizer lists every allocation Asterisk never freed.
A report is ours when a frame of its stack is in our sources or modules;
only those fail. Prints a summary and exits 1 if any report is ours.
"""

import re
import sys
from pathlib import Path

OURS = re.compile(r"src/(res|app)/|(res|app|test)_stasis_broadcast\.so|fuzz_stasis_broadcast")
# Where one report ends and the next begins, per tool.
STARTS = re.compile(r"^(=+\d+=+ERROR: AddressSanitizer|Direct leak of|Indirect leak of"
                    r"|.*runtime error:|==\d+== (Invalid|Conditional|Use of|Syscall param"
                    r"|Mismatched|Source and destination)|==\d+== \d+ bytes in \d+ blocks are "
                    r"(definitely|possibly) lost)")


def reports(path):
    """The reports in one file, each a list of lines."""
    current = None
    for line in path.read_text(errors="replace").splitlines():
        if STARTS.match(line):
            if current:
                yield current
            current = [line]
        elif current is not None:
            if not line.strip() or line.startswith("SUMMARY:"):
                yield current
                current = None
            else:
                current.append(line)
    if current:
        yield current


def kind(report):
    first = report[0]
    for name in ("leak", "AddressSanitizer", "runtime error", "lost", "Invalid", "Conditional"):
        if name in first:
            return {"lost": "leak (valgrind)", "Invalid": "invalid access (valgrind)",
                    "Conditional": "uninitialised (valgrind)"}.get(name, name)
    return first.strip()[:40]


def main():
    ours, theirs = [], 0
    files = [p for d in sys.argv[1:] for p in sorted(Path(d).glob("*")) if p.is_file()]
    for path in files:
        for report in reports(path):
            if any(OURS.search(line) for line in report):
                ours.append((path.name, report))
            else:
                theirs += 1
    for name, report in ours:
        print(f"--- {name}: {kind(report)} in our code")
        print("\n".join(report[:40]))
    print(f"sanitizer reports: {len(ours)} about our code, {theirs} about Asterisk "
          f"({len(files)} report files)")
    sys.exit(1 if ours else 0)


if __name__ == "__main__":
    main()
