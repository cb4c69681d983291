"""Reads a regcheck JUnit report with junitparser (as CI result viewers do) and prints what it
understood as JSON: per suite its counts, per testcase its class, name, time, results
(failure/error/skipped with type, message, text) and system-out. Used by tests/report_formats.rs."""
import json, sys
from junitparser import JUnitXml, Failure, Error, Skipped
xml = JUnitXml.fromfile(sys.argv[1])
out = {"suites": 0, "tests_attr": 0, "cases": [], "skipped_attr": 0, "failures_attr": 0}
for suite in xml:
    out["suites"] += 1
    out["tests_attr"] += suite.tests
    out["failures_attr"] += suite.failures
    out["skipped_attr"] += suite.skipped
    for case in suite:
        results = []
        for r in case.result:
            kind = {Failure: "failure", Error: "error", Skipped: "skipped"}.get(type(r), type(r).__name__)
            results.append({"kind": kind, "type": r.type, "message": r.message, "text": r.text})
        out["cases"].append({"suite": suite.name, "classname": case.classname, "name": case.name,
                             "time": case.time, "results": results, "system_out": case.system_out})
print(json.dumps(out))
