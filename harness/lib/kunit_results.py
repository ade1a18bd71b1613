#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Flatten a kunit.py --json result into one line per test case.

Usage: kunit_results.py PREFIX JSON-FILE
Prints "pass|fail|skip<TAB>PREFIX suite.case<TAB>reason" for every leaf.
"""

import json
import sys


def walk(group, path, out):
    name = group.get("name", "")
    here = path + [name] if name and name != "KUnit Test Group" else path
    for case in group.get("test_cases", []):
        status = {"PASS": "pass", "SKIP": "skip"}.get(case["status"], "fail")
        reason = "" if status == "pass" else "KUnit status " + case["status"]
        out.append((status, ".".join(here + [case["name"]]), reason))
    for sub in group.get("sub_groups", []):
        walk(sub, here, out)


def main():
    prefix, path = sys.argv[1], sys.argv[2]
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    out = []
    walk(data, [], out)
    for status, name, reason in out:
        print(f"{status}\t{prefix} {name}\t{reason}")


if __name__ == "__main__":
    main()
