#!/usr/bin/python3
# Reads a subunit v2 stream (`stestr last --subunit`) on stdin and prints one JSON object:
# {"tests": [{"id", "status", "reason"}]} where status is success, skip, fail, xfail or
# uxsuccess and reason is the skip reason or the failure's traceback (empty on success).
# Run with Debian's /usr/bin/python3 (python3-subunit, python3-testtools come with tempest).
import json
import sys

import subunit
import testtools

tests = {}


def on_test(test):
    status = test['status']
    details = test['details']
    reason = ''
    for key in ('reason', 'traceback'):
        if key in details:
            reason = details[key].as_text()
            break
    test_id = test['id']
    if status in ('exists', 'inprogress', None):
        return
    tests[test_id] = {'id': test_id, 'status': status, 'reason': reason}


stream = subunit.ByteStreamToStreamResult(sys.stdin.buffer, non_subunit_name='stdout')
result = testtools.StreamToDict(on_test)
result.startTestRun()
try:
    stream.run(result)
finally:
    result.stopTestRun()
json.dump({'tests': sorted(tests.values(), key=lambda t: t['id'])}, sys.stdout, indent=1)
print()
