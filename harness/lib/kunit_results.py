#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Flatten a kunit.py --json result into one line per test case.

Usage: kunit_results.py PREFIX JSON-FILE [KTAP-FILE]
Prints "pass|fail|skip<TAB>PREFIX suite.case<TAB>reason" for every leaf.
kunit.py's JSON drops the reason of a skip; given the KTAP document it
was parsed from, the reason ("ok N case # SKIP reason") is shown.
"""

import json
import re
import sys

SKIP_RE = re.compile(r"^\s*ok \d+ (.+?) # SKIP (.*)$")


def skip_reasons(path):
    reasons = {}
    if path:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                m = SKIP_RE.match(line.rstrip("\n"))
                if m:
                    reasons[m.group(1)] = m.group(2)
    return reasons


def walk(group, path, out, reasons):
    name = group.get("name", "")
    here = path + [name] if name and name != "KUnit Test Group" else path
    for case in group.get("test_cases", []):
        status = {"PASS": "pass", "SKIP": "skip"}.get(case["status"], "fail")
        reason = "" if status == "pass" else "KUnit status " + case["status"]
        if status == "skip" and case["name"] in reasons:
            reason = reasons[case["name"]]
        out.append((status, ".".join(here + [case["name"]]), reason))
    for sub in group.get("sub_groups", []):
        walk(sub, here, out, reasons)


def main():
    prefix, path = sys.argv[1], sys.argv[2]
    ktap = sys.argv[3] if len(sys.argv) > 3 else None
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    out = []
    walk(data, [], out, skip_reasons(ktap))
    for status, name, reason in out:
        print(f"{status}\t{prefix} {name}\t{reason}")


if __name__ == "__main__":
    main()
