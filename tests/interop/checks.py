"""What every interop driver prints: one `ok   LABEL` line per check that holds, and on the
first that does not, `FAIL LABEL` and exit status 1 (the Rust test shows the output)."""

import sys


def check(label, condition):
    if not condition:
        print("FAIL " + label)
        sys.exit(1)
    print("ok   " + label)
