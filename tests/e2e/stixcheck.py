"""Validate STIX 2.1 bundles with the OASIS schemas, through ../shared/tools/validate_stix.py.

The validator (Debian's python3-jsonschema over the OASIS STIX 2.1 JSON
schemas) prints one line per error and exits 1 when there is any. The
shipped OASIS bundle.json has one known defect: its list of object schemas
omits "incident" (as it once omitted infrastructure and malware-analysis,
oasis-open/cti-stix2-json-schemas#133 and #147), so every bundle that holds
an incident gets exactly one line for it:

    FILE: bundle--…: objects/N: {'type': 'incident', …} is not valid under any of the
    given schemas

The validator also checks every object on its own against its type's schema
(sdos/incident.json for the incident), and any fault there, or anywhere
else, is a different line. So this helper forgives that one line, and only
when it names the file's own bundle, an index that holds an incident in
that file, and that incident's id, at most once per incident; every other
line, an exit status other than 0 or 1, or a crash of the tool is a failure.

validate(bundles) runs the tool once for many bundles (it loads the schemas
once) and returns the unforgiven lines per bundle; assert_valid() fails a
test with them.

Must never: forgive a line it cannot tie to an incident object of the file
it names, or pass when the validator could not run.
"""

import json
import os
import re
import subprocess
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
VALIDATOR = os.environ.get("STIX_VALIDATOR") or os.path.normpath(
    os.path.join(ROOT, "..", "shared", "tools", "validate_stix.py"))
PYTHON = "/usr/bin/python3"
TIMEOUT_S = 120
JOBS = max(1, min(8, os.cpu_count() or 1))

_KNOWN_DEFECT = re.compile(
    r"^(?P<file>.+?): (?P<bundle>bundle--[0-9a-f-]{36}): objects/(?P<index>\d+): "
    r"(?P<repr>\{.*\}) is not valid under any of the given schemas$")


def _forgivable(line, path, doc, forgiven):
    """True when `line` is the known bundle.json defect for an incident of `doc` (at `path`)."""
    m = _KNOWN_DEFECT.match(line)
    if m is None or m.group("file") != path or not isinstance(doc, dict):
        return False
    objects = doc.get("objects")
    index = int(m.group("index"))
    if doc.get("type") != "bundle" or m.group("bundle") != doc.get("id"):
        return False
    if not isinstance(objects, list) or index >= len(objects):
        return False
    obj = objects[index]
    if not isinstance(obj, dict) or obj.get("type") != "incident":
        return False
    if "'type': 'incident'" not in m.group("repr") or repr(obj.get("id")) not in m.group("repr"):
        return False
    if index in forgiven:
        return False  # the defect yields one line per incident, never two
    forgiven.add(index)
    return True


def validate(bundles):
    """bundles: {name: bytes or str or dict}. Returns {name: [unforgiven error lines]} (empty lists
    for valid bundles). Raises AssertionError when the validator cannot run properly."""
    if not os.path.isfile(VALIDATOR):
        raise AssertionError(f"STIX validator not found at {VALIDATOR}")
    results = {name: [] for name in bundles}
    with tempfile.TemporaryDirectory(prefix="stixcheck-") as tmp:
        paths, docs = {}, {}
        for i, (name, bundle) in enumerate(bundles.items()):
            if isinstance(bundle, dict):
                data = json.dumps(bundle).encode()
            elif isinstance(bundle, str):
                data = bundle.encode()
            else:
                data = bytes(bundle)
            path = os.path.join(tmp, f"bundle-{i:04d}.json")
            with open(path, "wb") as f:
                f.write(data)
            paths[path] = name
            try:
                docs[path] = json.loads(data)
            except ValueError:
                docs[path] = None
        if not paths:
            return results
        # jsonschema is slow on bundles: a few validator processes share the files.
        chunks = [list(paths)[i::JOBS] for i in range(min(JOBS, len(paths)))]
        procs = [subprocess.Popen([PYTHON, VALIDATOR, *chunk], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for chunk in chunks]
        forgiven = {path: set() for path in paths}
        for proc in procs:
            try:
                out, err = proc.communicate(timeout=TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
                raise AssertionError(f"validate_stix.py took longer than {TIMEOUT_S} s")
            if proc.returncode not in (0, 1) or err.strip():
                raise AssertionError(
                    f"validate_stix.py exited {proc.returncode}:\n{out[-3000:]}{err[-3000:]}")
            if proc.returncode == 1 and not out.strip():
                raise AssertionError("validate_stix.py failed without saying why")
            for line in out.splitlines():
                if not line.strip():
                    continue
                path = next((p for p in paths if line.startswith(p + ":")), None)
                if path is None:
                    raise AssertionError(f"validate_stix.py said something about no file: {line}")
                if not _forgivable(line, path, docs[path], forgiven[path]):
                    results[paths[path]].append(line.replace(path, paths[path], 1))
    return results


def assert_valid(bundles):
    """Fail with every unforgiven line when any of the bundles does not validate."""
    bad = {name: lines for name, lines in validate(bundles).items() if lines}
    assert not bad, "STIX validation failed:\n" + "\n".join(
        line for lines in bad.values() for line in lines)
