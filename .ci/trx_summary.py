"""Sums the counters of every TRX file given and prints "PASSED FAILED SKIPPED FILES".

Failed counts every outcome that means a test did not pass (failed, error, timeout, aborted, disconnected);
skipped counts tests that did not run (notExecuted, notRunnable, inconclusive, pending) plus the rest of
total: the VSTest TRX logger reports an xUnit skipped test as outcome NotExecuted but leaves its
notExecuted counter at 0, so total - passed - failed - skipped is added to skipped. A TRX file that
cannot be parsed counts as one failure, so a crashed or truncated run can never look green.
"""
import sys
import xml.etree.ElementTree as ET

PASSED = ("passed", "passedButRunAborted")
FAILED = ("failed", "error", "timeout", "aborted", "disconnected")
SKIPPED = ("notExecuted", "notRunnable", "inconclusive", "pending")


def local(tag):
    return tag.rsplit("}", 1)[-1]


def main(paths):
    passed = failed = skipped = files = 0
    for path in paths:
        files += 1
        try:
            root = ET.parse(path).getroot()
        except (ET.ParseError, OSError) as exc:
            print(f"trx: cannot read {path}: {exc}", file=sys.stderr)
            failed += 1
            continue
        counters = [e for e in root.iter() if local(e.tag) == "Counters"]
        if not counters:
            print(f"trx: no <Counters> in {path}", file=sys.stderr)
            failed += 1
            continue
        for c in counters:
            n = lambda names: sum(int(c.attrib.get(a, "0") or 0) for a in names)
            p, f, s = n(PASSED), n(FAILED), n(SKIPPED)
            s += max(0, n(("total",)) - p - f - s)
            passed += p
            failed += f
            skipped += s
    print(passed, failed, skipped, files)


if __name__ == "__main__":
    main(sys.argv[1:])
