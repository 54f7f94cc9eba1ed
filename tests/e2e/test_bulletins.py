"""Bulletins end to end: the corpus (tests/e2e/corpus) through ingest, the
anonymizing worker, review and publication, judged by what is published.

One module-scoped world: its own database and server with ISACD_K=3, the
corpus organizations (with their anonymization profiles) and filler
operators so that some sector/region pairs reach k and others do not, every
corpus report submitted (follow-ups after their parents, each version's
bulletin and bundle captured as it appears), then everything pending
approved. The tests then read only the API's output: the bundle bytes the
coordinator endpoint serves (byte for byte what subscribers get), their
signatures, and the bulletin views.

Written from api.md and DESIGN.md ("Anonymization"); nothing here reads
server/. Must never: pass when the world could not be built (the fixture
fails instead), or wait without a bound.
"""

import base64
import datetime
import ipaddress
import json
import os
import re
import secrets
import unicodedata
import urllib.parse
from collections import defaultdict

import nacl.signing
import pytest

import stixcheck
from conftest import Operator, admin_json, assert_problem, migrate, psql, run_isacd
from coordapi import (find_objects, new_coordinator, server_key, the_incident,
                      verify_bulletin_signature, victim_identity)

CORPUS = os.path.join(os.path.dirname(__file__), "corpus")
with open(os.path.join(CORPUS, "manifest.json"), encoding="utf-8") as _f:
    MANIFEST = json.load(_f)
K = MANIFEST["k"]
ISAC_NAME = MANIFEST["isac_name"]
REPORTS = MANIFEST["reports"]
ORGS = MANIFEST["organizations"]

SEVERITIES = ["low", "medium", "high", "critical"]
REVIEW_SEVERITY = "high"
SECTORS = ["information_communication", "finance", "aviation", "airports", "railways",
           "electric_power", "gas", "government", "medical", "water", "logistics", "chemicals",
           "credit_cards", "petroleum", "ports"]
REGIONS = ["hokkaido", "tohoku", "kanto", "chubu", "kinki", "chugoku", "shikoku",
           "kyushu_okinawa"]
TLPS = ["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"]
STIX_SECTOR = {
    "information_communication": "telecommunications", "finance": "financial-services",
    "credit_cards": "financial-services", "aviation": "transportation",
    "airports": "transportation", "railways": "transportation", "logistics": "transportation",
    "ports": "transportation", "electric_power": "energy", "gas": "energy", "petroleum": "energy",
    "government": "government-public-services", "medical": "healthcare",
    "water": "infrastructure-water", "chemicals": "chemical",
}
# How a published text may name a region or a sector (victim class names and the like).
REGION_WORDS = {
    "hokkaido": ["hokkaido"], "tohoku": ["tohoku"], "kanto": ["kanto"], "chubu": ["chubu"],
    "kinki": ["kinki"], "chugoku": ["chugoku"], "shikoku": ["shikoku"],
    "kyushu_okinawa": ["kyushu", "okinawa"],
}
SECTOR_WORDS = {
    "information_communication": ["information and communication", "information_communication",
                                  "telecommunications"],
    "railways": ["railway", "transportation"], "medical": ["medical", "healthcare"],
    "finance": ["finance", "financial"], "gas": ["gas"], "water": ["water"],
    "electric_power": ["electric power", "electric_power"],
}
# DESIGN.md: RFC 1918, loopback, link-local, ULA (and site-local, CGNAT) never reach a bulletin.
PRIVATE_NETS = [ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16",
    "100.64.0.0/10", "::1/128", "fe80::/10", "fec0::/10", "fc00::/7")]
STIX_PATH = {
    "ipv4": "ipv4-addr:value", "ipv6": "ipv6-addr:value", "domain": "domain-name:value",
    "url": "url:value", "email": "email-addr:value", "sha256": "file:hashes.'SHA-256'",
    "sha1": "file:hashes.'SHA-1'", "md5": "file:hashes.MD5", "filename": "file:name",
}
BULLETIN_STATUSES = {"pending_review", "published", "rejected", "withheld"}


def stix_pattern(ind_type, value):
    """The STIX pattern of one indicator, as include/stix.h and STIX patterning spell it."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"[{STIX_PATH[ind_type]} = '{escaped}']"


def load_body(report):
    with open(os.path.join(CORPUS, report["file"]), encoding="utf-8") as f:
        return json.load(f)


def chain_depth(report):
    """0 for a first report, 1 for its follow-up, 2 for the follow-up of that..."""
    by_file = {r["file"]: r for r in REPORTS}
    depth = 0
    while report["follows"]:
        report = by_file[report["follows"]]
        depth += 1
    return depth


def chain_root(report):
    by_file = {r["file"]: r for r in REPORTS}
    while report["follows"]:
        report = by_file[report["follows"]]
    return report["file"]


def needs_review(tlp, severity):
    """api.md's policy table: the status a new version gets."""
    if tlp == "RED":
        return "withheld"
    if tlp in ("CLEAR", "GREEN") and SEVERITIES.index(severity) < SEVERITIES.index(REVIEW_SEVERITY):
        return "published"
    return "pending_review"


# ---------------------------------------------------------------- what leaks look like


def all_strings(doc):
    """Every key and string value of a JSON document (so escapes are undone)."""
    out = []

    def walk(x):
        if isinstance(x, str):
            out.append(x)
        elif isinstance(x, dict):
            for k, v in x.items():
                out.append(k)
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(doc)
    return out


def _refang(text):
    """Undo the usual defanging of indicators ("10.0.0[.]1", "host(.)example", "hxxps://")."""
    text = re.sub(r"\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)", ".", text, flags=re.I)
    text = re.sub(r"\[@\]|\[at\]|\(at\)", "@", text, flags=re.I)
    return re.sub(r"hxxp", "http", text, flags=re.I)


def _no_space(s):
    return re.sub(r"\s+", "", s)


class Forms(list):
    """The bundle bytes as a reader could read them: raw, JSON-unescaped, URL-decoded (both
    ways), refanged, each also NFKC-normalized (full-width Ａ/０ as ASCII), lower-cased.
    forms[0] is the raw text."""

    def __init__(self, body):
        raw = body.decode("utf-8")
        unescaped = "\n".join(all_strings(json.loads(raw)))
        forms = []
        for base in (raw, unescaped):
            forms += [base, urllib.parse.unquote(base), urllib.parse.unquote_plus(base)]
        forms += [_refang(f) for f in forms]
        forms += [unicodedata.normalize("NFKC", f) for f in forms]
        super().__init__(dict.fromkeys(f.lower() for f in forms))
        self.squeezed = list(dict.fromkeys(_no_space(f) for f in self))


def leaked(forms, needle):
    """True when `needle` (case-insensitively, also NFKC-normalized; a needle with white space
    also with that white space dropped on both sides) occurs in one of `forms`."""
    variants = {needle.lower(), unicodedata.normalize("NFKC", needle).lower()}
    if any(v in f for v in variants for f in forms):
        return True
    if re.search(r"\s", needle):
        squeezed = {_no_space(v) for v in variants}
        return any(v in f for v in squeezed for f in forms.squeezed)
    return False


IPV4_RE = re.compile(r"(?<![0-9.])\d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,2})?(?![0-9])")
IPV6_RE = re.compile(r"[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(?:/\d{1,3})?")


def addresses_in(forms):
    """Every IPv4/IPv6 address or network literal in the texts (IPv4-mapped ones as IPv4 too)."""
    found = set()
    for text in forms:
        for cand in IPV4_RE.findall(text) + IPV6_RE.findall(text):
            for c in {cand, cand.strip(":."), cand.rstrip(".")}:
                try:
                    net = ipaddress.ip_network(c, strict=False)
                except ValueError:
                    continue
                found.add(net)
                if net.version == 6 and net.network_address.ipv4_mapped is not None:
                    found.add(ipaddress.ip_network(net.network_address.ipv4_mapped))
    return found


# ---------------------------------------------------------------- the world


class World:
    """Everything the fixture built and captured."""

    def __init__(self):
        self.db = None
        self.server = None
        self.coord = None
        self.key = None
        self.orgs = {}           # slug -> {"id", "operator", "spec"}
        self.fillers = []        # [{"id", "name", "sector", "region"}]
        self.reports = {}        # file -> {"id", "incident_id", "body", "doc", "receipt"}
        self.snapshots = {}      # file -> {"incident", "bulletin", "bundle"} when its version came
        self.profiles = {}       # slug -> the PUT answer
        self.final = {}          # incident id -> {"incident", "bulletin", "bundle"}
        self.approved = {}       # incident id -> approve answer (JSON)

    def incident_of(self, file):
        return self.reports[file]["incident_id"]

    def org_of_incident(self, incident_id):
        for file, rep in self.reports.items():
            if rep["incident_id"] == incident_id:
                return next(r["org"] for r in REPORTS if r["file"] == file)
        raise KeyError(incident_id)

    def incident_of_bulletin(self, bulletin_id):
        for snap in list(self.snapshots.values()) + list(self.final.values()):
            if snap["bulletin"]["id"] == bulletin_id:
                return snap["incident"]["id"]
        raise KeyError(bulletin_id)

    def non_red_incidents(self):
        return {rep["incident_id"] for rep in self.reports.values() if rep["doc"]["tlp"] != "RED"}

    def published_bundles(self):
        """{(bulletin id, version): bytes} of every bundle this run saw served as published."""
        out = {}
        for snap in list(self.snapshots.values()) + list(self.final.values()):
            r = snap["bundle"]
            if r.header("Isacd-Signature"):
                out[(snap["bulletin"]["id"], int(r.header("Isacd-Bulletin-Version")))] = r.body
        return out

    def identity(self, slug):
        """Every string that names organization `slug`."""
        spec = self.orgs[slug]["spec"]
        needles = [spec["name"], self.orgs[slug]["id"], spec["key_id"], *spec["domains"],
                   *spec["terms"], *spec["identifying"]]
        for r in REPORTS:
            if r["org"] == slug:
                for c in load_body(r).get("contacts", []):
                    needles += [c[k] for k in ("name", "email", "phone") if k in c]
        return sorted(set(needles))


def _profile_body(spec):
    return {"domains": spec["domains"], "ranges": spec["ranges"], "terms": spec["terms"]}


def _snapshot(w, incident):
    b = incident["bulletin"]
    return {"incident": incident, "bulletin": b, "bundle": w.coord.bundle(b["id"])}


@pytest.fixture(scope="module")
def world(databases, server_factory):
    w = World()
    w.db = databases.create("e2e_bulletins")
    migrate(w.db)
    w.server = server_factory(
        "bulletins", dsn=w.db,
        env_extra={"ISACD_K": K, "ISACD_REVIEW_SEVERITY": REVIEW_SEVERITY,
                   "ISACD_ISAC_NAME": ISAC_NAME}).start()
    base = w.server.base_url
    w.coord = new_coordinator(w.db, base)
    w.key = server_key(base)

    for slug, spec in ORGS.items():
        org = admin_json(w.db, "org-create", "--kind", "operator", "--name", spec["name"],
                         "--sector", spec["sector"], "--region", spec["region"])
        key = nacl.signing.SigningKey.generate()
        admin_json(w.db, "key-add", "--org", org["id"], "--public-key",
                   base64.b64encode(bytes(key.verify_key)).decode(), "--key-id", spec["key_id"])
        w.orgs[slug] = {"id": org["id"], "spec": spec,
                        "operator": Operator(base, org["id"], spec["name"], spec["key_id"], key)}
    for filler in MANIFEST["fillers"]:
        for i in range(filler["count"]):
            name = f"e2e filler {secrets.token_hex(6)}"
            org = admin_json(w.db, "org-create", "--kind", "operator", "--name", name,
                             "--sector", filler["sector"], "--region", filler["region"])
            w.fillers.append({"id": org["id"], "name": name, "sector": filler["sector"],
                              "region": filler["region"]})
    for slug, o in w.orgs.items():
        r = w.coord.put(f"/v1/coord/orgs/{o['id']}/profile", _profile_body(o["spec"]))
        assert r.status == 200, (slug, r)
        w.profiles[slug] = r.json()

    waves = defaultdict(list)
    for rep in REPORTS:
        waves[chain_depth(rep)].append(rep)
    for depth in sorted(waves):
        for rep in waves[depth]:
            doc = load_body(rep)
            if rep["follows"]:
                doc["incident_id"] = w.incident_of(rep["follows"])
            body = json.dumps(doc, ensure_ascii=False).encode("utf-8")
            op = w.orgs[rep["org"]]["operator"]
            assert op.key_id == rep["key_id"]
            r, sent = op.post_report(body)
            assert r.status == 201, (rep["file"], r)
            a = r.json()
            if rep["follows"]:
                assert a["incident_id"] == doc["incident_id"], (rep["file"], a)
            w.reports[rep["file"]] = {"id": a["id"], "incident_id": a["incident_id"],
                                      "body": sent, "doc": doc, "receipt": a["receipt"]}
        seen = w.coord.wait_bulletins(
            {w.incident_of(rep["file"]): depth + 1 for rep in waves[depth]})
        for rep in waves[depth]:
            w.snapshots[rep["file"]] = _snapshot(w, seen[w.incident_of(rep["file"])])

    for iid in sorted({rep["incident_id"] for rep in w.reports.values()}):
        b = w.coord.incident(iid)["bulletin"]
        if b["status"] == "pending_review":
            r = w.coord.post(f"/v1/coord/bulletins/{b['id']}/approve")
            assert r.status == 200, (iid, r)
            w.approved[iid] = r.json()
    for iid in sorted({rep["incident_id"] for rep in w.reports.values()}):
        w.final[iid] = _snapshot(w, w.coord.incident(iid))
    return w


def sql_rows(w, query):
    return psql(w.db, query)


# ---------------------------------------------------------------- the corpus itself (no server)


def test_corpus_manifest_is_consistent():
    files = sorted(f for f in os.listdir(CORPUS) if f != "manifest.json")
    assert [r["file"] for r in REPORTS] == files, "manifest and corpus files differ"
    assert len(REPORTS) >= 22
    assert all(re.fullmatch(r"\d\d_[a-z0-9_]+\.json", f) for f in files), files
    by_file = {}
    for rep in REPORTS:
        doc = load_body(rep)
        org = ORGS[rep["org"]]
        assert rep["key_id"] == org["key_id"], rep["file"]
        assert doc["sector"] == org["sector"], rep["file"]
        assert doc["tlp"] in TLPS and doc["severity"] in SEVERITIES, rep["file"]
        assert "incident_id" not in doc, "follow-ups get incident_id at run time"
        if rep["follows"]:
            assert rep["follows"] in by_file, f"{rep['file']} follows a later report"
            assert by_file[rep["follows"]]["org"] == rep["org"], rep["file"]
        by_file[rep["file"]] = rep
        sent = {(i["type"], i["value"], i["role"]) for i in doc.get("indicators", [])}
        for a in rep["attacker_indicators"]:
            assert (a["type"], a["value"], "attacker") in sent, (rep["file"], a)
        for d in rep["dropped_indicators"]:
            assert any((d["type"], d["value"]) == s[:2] for s in sent), (rep["file"], d)
            assert d not in rep["attacker_indicators"], (rep["file"], d)
        if rep["follows"]:  # a follow-up repeats what its parent said about the attacker
            parent = rep["follows"]
            for a in by_file[parent]["attacker_indicators"]:
                assert a in rep["attacker_indicators"], (rep["file"], "drops", a)

    # Every identifying string is written in the organization's own reports and in no other's,
    # and no attacker indicator names any organization.
    texts = defaultdict(str)
    for rep in REPORTS:
        texts[rep["org"]] += "\n".join(all_strings(load_body(rep))) + "\n"
    for slug, org in ORGS.items():
        for s in org["identifying"]:
            assert s.lower() in texts[slug].lower(), (slug, s, "is in none of its reports")
        needles = [org["name"], org["key_id"], *org["domains"], *org["terms"], *org["identifying"]]
        for other, text in texts.items():
            if other != slug:
                for n in needles:
                    assert n.lower() not in text.lower(), (slug, n, "appears in reports of", other)
        for rep in REPORTS:
            for a in rep["attacker_indicators"]:
                for n in needles:
                    assert n.lower() not in a["value"].lower(), (rep["file"], a, n)

    # Coverage the tests rely on: every TLP, both sides of the review policy, RED follow-ups,
    # chains of three, indicators seen by >= k operators and by fewer.
    tlps = {load_body(r)["tlp"] for r in REPORTS}
    assert tlps == set(TLPS), tlps
    fates = {needs_review(load_body(r)["tlp"], load_body(r)["severity"]) for r in REPORTS}
    assert fates == {"published", "pending_review", "withheld"}, fates
    assert max(chain_depth(r) for r in REPORTS) >= 2
    reporters = defaultdict(set)
    for rep in REPORTS:
        for a in rep["attacker_indicators"]:
            reporters[(a["type"], a["value"])].add(rep["org"])
    counts = sorted(len(v) for v in reporters.values())
    assert counts[-1] >= K and 2 in counts, counts
    for spec in list(ORGS.values()) + MANIFEST["fillers"]:
        assert spec["sector"] in SECTORS and spec["region"] in REGIONS, spec


def _tiny_bundle():
    """A valid hand-made bundle with an incident (for the helper's own tests)."""
    isac = "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff"
    green = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
    common = {"spec_version": "2.1", "created_by_ref": isac, "created": "2026-11-25T07:00:00.000Z",
              "modified": "2026-11-25T07:00:00.000Z", "object_marking_refs": [green]}
    return {"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": [
        {"type": "identity", "id": isac, "name": "E2E ISAC", "identity_class": "organization",
         **common},
        {"type": "marking-definition", "spec_version": "2.1", "id": green,
         "created": "2022-10-01T00:00:00.000Z", "name": "TLP:GREEN", "extensions": {
             "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d": {
                 "extension_type": "property-extension", "tlp_2_0": "green"}}},
        {"type": "incident", "id": "incident--0b6f3a52-7d0c-4e59-a1f2-c8e4d9b1a7e3",
         "name": "Ransomware", "description": "x", **common},
        {"type": "indicator", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
         "indicator_types": ["malicious-activity"], "pattern": "[ipv4-addr:value = '203.0.113.45']",
         "pattern_type": "stix", "pattern_version": "2.1", "valid_from": "2026-11-25T06:00:00Z",
         **common},
    ]}


def test_stixcheck_forgives_only_the_known_defect():
    good = _tiny_bundle()
    assert stixcheck.validate({"good": good}) == {"good": []}

    def broken(mutate):
        b = json.loads(json.dumps(good))
        mutate(b)
        return b

    def drop(index, key):
        return lambda b: b["objects"][index].pop(key)

    def setv(index, key, value):
        return lambda b: b["objects"][index].__setitem__(key, value)

    cases = {
        "incident without name": drop(2, "name"),               # the forgiven line's own object
        "incident with a bad id": setv(2, "id", "incident--not-a-uuid"),
        "incident with a bad timestamp": setv(2, "modified", "yesterday"),
        "indicator without pattern": drop(3, "pattern"),
        "identity without identity_class": lambda b: b["objects"][0].update(
            {"identity_class": 5}),
        "indicator with a bad created_by_ref": setv(3, "created_by_ref", "isac"),
        "bundle id of another type": lambda b: b.update({"id": "report--" + b["id"][8:]}),
        "an unknown type": lambda b: b["objects"].append(
            {"type": "weather", "id": "weather--0b6f3a52-7d0c-4e59-a1f2-c8e4d9b1a7e3"}),
        "a second incident": lambda b: b["objects"].append(
            dict(b["objects"][2], id="incident--1b6f3a52-7d0c-4e59-a1f2-c8e4d9b1a7e3",
                 created="soon")),
    }
    bundles = {name: broken(m) for name, m in cases.items()}
    bundles["not json"] = b"{\"type\": \"bundle\", "
    results = stixcheck.validate(bundles)
    for name, lines in results.items():
        assert lines, f"the helper accepted a broken bundle: {name}"
    with pytest.raises(AssertionError):
        stixcheck.assert_valid({"good": good, "bad": bundles["indicator without pattern"]})
    stixcheck.assert_valid({"good": good})


# ---------------------------------------------------------------- (a) nothing names an operator


def test_published_bundles_name_no_operator(world):
    w = world
    published = w.published_bundles()
    assert len(published) >= len(w.non_red_incidents()), "every non-RED bulletin is published"
    nets = {slug: [ipaddress.ip_network(r, strict=False) for r in o["spec"]["ranges"]]
            for slug, o in w.orgs.items()}
    identities = {slug: w.identity(slug) for slug in w.orgs}
    for f in w.fillers:
        identities[f"filler {f['name']}"] = [f["name"], f["id"]]
    unlinks = [v for rep in w.reports.values() for v in (rep["id"], rep["incident_id"])]
    problems = []
    for (bulletin_id, version), body in sorted(published.items()):
        files = [f for f, rep in w.reports.items()
                 if rep["incident_id"] == w.incident_of_bulletin(bulletin_id)]
        where = f"bulletin {bulletin_id} v{version} ({', '.join(sorted(files))})"
        forms = Forms(body)
        reporter = w.org_of_incident(w.incident_of_bulletin(bulletin_id))
        for slug, needles in identities.items():
            for n in needles:
                if leaked(forms, n):
                    who = "its reporter" if slug == reporter else f"another operator ({slug})"
                    problems.append(f"{where} names {who}: {n!r}")
        for net in addresses_in(forms):
            for slug, ranges in nets.items():
                if any(net.version == r.version and net.overlaps(r) for r in ranges):
                    problems.append(f"{where} holds {net}, inside the ranges of {slug}")
            if any(net.version == p.version and net.overlaps(p) for p in PRIVATE_NETS):
                problems.append(f"{where} holds the private address {net}")
        for v in unlinks:
            if v in forms[0]:
                problems.append(f"{where} holds the report/incident id {v} (coordinator-only)")
        for key in ("redactions", "dropped_indicators", '"draft"'):
            if key in forms[0]:
                problems.append(f"{where} carries the coordinator-only {key}")
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- (b) attacker indicators survive


def test_attacker_indicators_are_published(world):
    w = world
    missing = []
    for rep in REPORTS:
        if load_body(rep)["tlp"] == "RED":
            continue
        final = w.final[w.incident_of(rep["file"])]
        assert final["bundle"].header("Isacd-Signature"), (rep["file"], "not published")
        bundle = json.loads(final["bundle"].body)
        patterns = {o.get("pattern") for o in find_objects(bundle, "indicator")}
        for a in rep["attacker_indicators"]:
            if stix_pattern(a["type"], a["value"]) not in patterns:
                missing.append(f"{rep['file']}: {stix_pattern(a['type'], a['value'])}")
        for d in rep["dropped_indicators"]:
            if stix_pattern(d["type"], d["value"]) in patterns:
                missing.append(f"{rep['file']}: published a dropped indicator {d}")
    assert not missing, "\n".join(missing)


def test_correlated_indicators_carry_counts_never_names(world):
    w = world
    reporters = defaultdict(set)
    for rep in REPORTS:
        for a in rep["attacker_indicators"]:
            reporters[(a["type"], a["value"])].add(rep["org"])
    said = defaultdict(list)  # indicator -> the counts published bundles state for it
    for body in w.published_bundles().values():
        for ind in find_objects(json.loads(body), "indicator"):
            text = json.dumps(ind, ensure_ascii=False)
            m = re.search(r"[Rr]eported by (\d+) operators?(?: in (\d+) sectors?)?", text)
            for (t, v) in reporters:
                if ind.get("pattern") == stix_pattern(t, v):
                    said[(t, v)].append(
                        (int(m.group(1)), int(m.group(2)) if m and m.group(2) else None)
                        if m else None)
    problems = []
    for key, orgs in reporters.items():
        n = len(orgs)
        sectors = len({ORGS[o]["sector"] for o in orgs})
        for count in said.get(key, []):
            if count is not None and (count[0] < K or count[0] > n):
                problems.append(f"{key}: published count {count}, {n} operators, k={K}")
            if count is not None and count[1] is not None and count[1] > sectors:
                problems.append(f"{key}: published sectors {count}, truly {sectors}")
        if n >= K and (n, sectors) not in said.get(key, []):
            problems.append(f"{key}: reported by {n} operators in {sectors} sectors, published "
                            f"counts {said.get(key)}")
        if n < K and any(c is not None for c in said.get(key, [])):
            problems.append(f"{key}: only {n} operator(s) < k={K}, yet counts {said[key]}")
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- (c) k-anonymity


def _floor(ts, day):
    t = datetime.datetime.fromisoformat(ts.replace("Z", "+00:00")).astimezone(datetime.timezone.utc)
    t = t.replace(minute=0, second=0, microsecond=0)
    return t.replace(hour=0) if day else t


def _parse(ts):
    return datetime.datetime.fromisoformat(ts.replace("Z", "+00:00"))


def test_k_anonymity_of_published_attributes(world):
    w = world
    rows = sql_rows(w, "SELECT sector, region, count(*) FROM organizations"
                       " WHERE kind = 'operator' GROUP BY sector, region")
    pairs = {(s, r): int(n) for s, r, n in rows}
    total = sum(pairs.values())
    problems, outcomes = [], set()
    for iid, final in w.final.items():
        if not final["bundle"].header("Isacd-Signature"):
            continue
        slug = w.org_of_incident(iid)
        sector, region = ORGS[slug]["sector"], ORGS[slug]["region"]
        same_sector = sum(n for (s, _), n in pairs.items() if s == sector)
        same_pair = pairs.get((sector, region), 0)
        bundle = json.loads(final["bundle"].body)
        inc, victim = the_incident(bundle), victim_identity(bundle)
        where = f"{slug} incident {iid}"
        vname = victim.get("name", "").lower()
        props = " ".join(str(v) for k, v in inc.items() if k.startswith("x_isacd_")).lower()

        if same_sector >= K:
            outcomes.add("sector")
            if inc.get("x_isacd_sector") != sector:
                problems.append(f"{where}: {same_sector} >= k operators in {sector}, published "
                                f"sector {inc.get('x_isacd_sector')!r}")
            if victim.get("sectors") != [STIX_SECTOR[sector]]:
                problems.append(f"{where}: victim sectors {victim.get('sectors')}")
        else:
            outcomes.add("sector generalized")
            want = "critical_infrastructure" if total >= K else None
            if inc.get("x_isacd_sector") != want:
                problems.append(f"{where}: only {same_sector} < k operators in {sector}, "
                                f"published sector {inc.get('x_isacd_sector')!r}")
            if STIX_SECTOR[sector] in (victim.get("sectors") or []):
                problems.append(f"{where}: victim sectors {victim['sectors']} name {sector}")
            for word in SECTOR_WORDS.get(sector, [sector]):
                if word in vname or word in str(inc.get("x_isacd_sector", "")).lower():
                    problems.append(f"{where}: sector word {word!r} in {vname!r}")
        if same_pair >= K:
            outcomes.add("region")
            if inc.get("x_isacd_region") != region:
                problems.append(f"{where}: {same_pair} >= k operators in {sector}/{region}, "
                                f"published region {inc.get('x_isacd_region')!r}")
            if not any(word in vname for word in REGION_WORDS[region]):
                problems.append(f"{where}: victim name {vname!r} lacks the region")
        else:
            outcomes.add("region withheld")
            if "x_isacd_region" in inc:
                problems.append(f"{where}: only {same_pair} < k operators in {sector}/{region}, "
                                f"published region {inc['x_isacd_region']!r}")
            for word in REGION_WORDS[region] + [region]:
                if word in vname or word in props:
                    problems.append(f"{where}: region word {word!r} published ({vname!r})")

        # Times: to the hour where the sector is a crowd, else to the day.
        day = same_sector < K
        doc = w.reports[_latest_file(w, iid)]["doc"]
        want_precision = "day" if day else "hour"
        if inc.get("x_isacd_time_precision") != want_precision:
            problems.append(f"{where}: time precision {inc.get('x_isacd_time_precision')!r}, "
                            f"want {want_precision}")
        for ours, theirs in (("detected_at", "x_isacd_detected_at"),
                             ("occurred_at", "x_isacd_occurred_at")):
            if ours not in doc:
                continue
            got = inc.get(theirs)
            if got is None or _parse(got) != _floor(doc[ours], day):
                problems.append(f"{where}: {theirs} {got!r}, want {_floor(doc[ours], day)}")
        for ind in find_objects(bundle, "indicator"):
            t = _parse(ind["valid_from"])
            if (t.minute, t.second, t.microsecond) != (0, 0, 0) or (day and t.hour != 0):
                problems.append(f"{where}: indicator valid_from {ind['valid_from']} not rounded")
    assert not problems, "\n".join(problems)
    # The population was built so that both sides of k occur; if not, this test proves little.
    assert outcomes >= {"sector", "sector generalized", "region", "region withheld"}, outcomes


def _latest_file(w, iid):
    files = [r["file"] for r in REPORTS if w.reports[r["file"]]["incident_id"] == iid]
    return max(files, key=lambda f: chain_depth(next(r for r in REPORTS if r["file"] == f)))


# ---------------------------------------------------------------- (d) follow-ups


def test_bundle_times_say_no_more_than_the_rounded_incident_times(world):
    """created/modified of a bulletin's objects are rounded to its time precision
    (a later version is a few milliseconds past the previous one), so the bundle
    does not reveal when the report arrived more precisely than its incident."""
    w = world
    seen = 0
    for (bulletin_id, version), body in w.published_bundles().items():
        bundle = json.loads(body)
        incident = next(o for o in bundle["objects"] if o["type"] == "incident")
        day = incident["x_isacd_time_precision"] == "day"
        isac = incident["created_by_ref"]
        for o in bundle["objects"]:
            if o["type"] == "marking-definition" or o["id"] == isac:
                continue
            for field in ("created", "modified"):
                t = _parse(o[field])
                base = _floor(o[field], day)
                # whole hour/day, plus at most 1 ms per later version
                assert (t - base).total_seconds() * 1000 <= version, (bulletin_id, o["id"],
                                                                       field, o[field])
            seen += 1
    assert seen > 0, "no published bundle to check"


def test_follow_ups_are_new_versions_of_one_bulletin(world):
    w = world
    chains = defaultdict(list)
    for rep in REPORTS:
        chains[chain_root(rep)].append(rep)
    checked = 0
    for root, reps in chains.items():
        reps.sort(key=chain_depth)
        iid = w.incident_of(root)
        snaps = [w.snapshots[r["file"]] for r in reps]
        bundles = [json.loads(s["bundle"].body) for s in snaps]
        for i, (rep, snap, bundle) in enumerate(zip(reps, snaps, bundles)):
            assert w.incident_of(rep["file"]) == iid, rep["file"]
            assert snap["bulletin"]["id"] == snaps[0]["bulletin"]["id"], rep["file"]
            assert snap["bulletin"]["version"] == i + 1, (rep["file"], snap["bulletin"]["version"])
            assert snap["bundle"].header("Isacd-Bulletin-Version") == str(i + 1), rep["file"]
            assert the_incident(bundle)["id"] == the_incident(bundles[0])["id"], rep["file"]
            assert victim_identity(bundle)["id"] == victim_identity(bundles[0])["id"]
            assert the_incident(bundle)["created"] == the_incident(bundles[0])["created"]
        for prev, cur in zip(bundles, bundles[1:]):
            assert _parse(the_incident(cur)["modified"]) > _parse(the_incident(prev)["modified"])
            before = {o["pattern"]: o["id"] for o in find_objects(prev, "indicator")}
            for o in find_objects(cur, "indicator"):
                if o["pattern"] in before:
                    assert o["id"] == before[o["pattern"]], ("indicator id changed", o["pattern"])
        final = w.final[iid]
        assert final["bulletin"]["id"] == snaps[0]["bulletin"]["id"]
        assert final["bulletin"]["version"] == len(reps)
        versions = final["bulletin"]["versions"]
        assert [v["version"] for v in versions] == list(range(1, len(reps) + 1)), versions
        assert all(v["source"] == "report" for v in versions), versions
        inc = final["incident"]
        assert inc["report_count"] == len(reps), inc
        assert [x["id"] for x in inc["reports"]] == [w.reports[r["file"]]["id"] for r in reps]
        if len(reps) > 1:
            checked += 1
    assert checked >= 3


# ---------------------------------------------------------------- (e) STIX validity


def test_every_bundle_validates(world):
    bundles, seen = {}, set()
    for name, snap in list(world.snapshots.items()) + list(world.final.items()):
        b, body = snap["bulletin"], snap["bundle"].body
        if body not in seen:  # approval signs the same bytes; check each byte string once
            seen.add(body)
            bundles[f"{name} ({b['id']} v{snap['bundle'].header('Isacd-Bulletin-Version')})"] = body
    assert len(bundles) >= len(REPORTS)
    stixcheck.assert_valid(bundles)
    for name, snap in world.final.items():
        assert json.loads(snap["bundle"].body) == snap["bulletin"]["stix"], \
            f"{name}: the bulletin's stix differs from its bundle bytes"
        assert (snap["bundle"].header("Content-Type") or "").replace(" ", "") \
            .startswith("application/stix+json;version=2.1"), snap["bundle"].headers


# ---------------------------------------------------------------- (f) signatures


def test_published_bundles_are_signed_by_the_server(world):
    w = world
    key = w.key
    published = [s for s in w.final.values() if s["bundle"].header("Isacd-Signature")]
    assert len(published) == len(w.non_red_incidents()), "every non-RED bulletin is published"
    for snap in list(w.snapshots.values()) + published:
        r, b = snap["bundle"], snap["bulletin"]
        sig = r.header("Isacd-Signature")
        if not sig:
            continue
        assert r.header("Isacd-Signature-Key") == key["key_id"], r.headers
        assert verify_bulletin_signature(key["public_key"], r.body, sig), b["id"]
        flipped = bytearray(r.body)
        flipped[len(flipped) // 2] ^= 0x01
        assert not verify_bulletin_signature(key["public_key"], bytes(flipped), sig)
        assert not verify_bulletin_signature(key["public_key"], r.body + b" ", sig)
        # Domain separation: the signature is not over the bare bytes.
        vk = nacl.signing.VerifyKey(base64.b64decode(key["public_key"]))
        with pytest.raises(Exception):
            vk.verify(r.body, base64.b64decode(sig))
    # Approval signs exactly the bytes the coordinator reviewed: no rebuild on the way out.
    for iid in w.approved:
        last = max((f for f, rep in w.reports.items() if rep["incident_id"] == iid),
                   key=lambda f: chain_depth(next(r for r in REPORTS if r["file"] == f)))
        assert w.final[iid]["bundle"].body == w.snapshots[last]["bundle"].body, last
    for snap in published:
        b = snap["bulletin"]
        assert b["status"] == "published", b["status"]
        assert b["published_version"] == b["version"], b
        assert b["signature"]["alg"] == "ed25519" and b["signature"]["key_id"] == key["key_id"]
        assert b["signature"]["value"] == snap["bundle"].header("Isacd-Signature")


# ---------------------------------------------------------------- (g) TLP:RED


def test_red_reports_are_never_published(world):
    w = world
    red = [r for r in REPORTS if load_body(r)["tlp"] == "RED"]
    assert red
    red_incidents = {w.incident_of(r["file"]) for r in red}
    for rep in red:
        snap = w.snapshots[rep["file"]]
        assert snap["bulletin"]["status"] == "withheld", (rep["file"], snap["bulletin"]["status"])
        assert not snap["bundle"].header("Isacd-Signature"), rep["file"]
    for iid in red_incidents:
        b = w.final[iid]["bulletin"]
        assert b["status"] == "withheld" and b["signature"] is None, b
        assert b.get("published_version") is None, b
        assert all(v.get("published_at") is None for v in b["versions"]), b["versions"]
        assert not w.final[iid]["bundle"].header("Isacd-Signature")
        r = w.coord.post(f"/v1/coord/bulletins/{b['id']}/approve")
        assert_problem(r, 409, "conflict")
        r = w.coord.post(f"/v1/coord/bulletins/{b['id']}/reject", {"reason": "not for sharing"})
        assert_problem(r, 409, "conflict")
        r = w.coord.patch(f"/v1/coord/bulletins/{b['id']}", {"summary": "sanitised text"})
        assert_problem(r, 409, "conflict")
        after = w.coord.bulletin(b["id"])
        assert after["status"] == "withheld" and after["version"] == b["version"], after
        assert not w.coord.bundle(b["id"]).header("Isacd-Signature")

    # What only RED reports said never reaches a published bundle.
    said_elsewhere = {(a["type"], a["value"]) for r in REPORTS if r not in red
                      for a in r["attacker_indicators"]}
    secrets_of_red = [load_body(r)["title"] for r in red]
    secrets_of_red += [a["value"] for r in red for a in r["attacker_indicators"]
                       if (a["type"], a["value"]) not in said_elsewhere]
    for (bid, version), body in w.published_bundles().items():
        forms = Forms(body)
        for s in secrets_of_red:
            assert not leaked(forms, s), f"bulletin {bid} v{version} publishes RED content {s!r}"


# ---------------------------------------------------------------- (h) drafts for coordinators


def _redactions(snap):
    draft = snap["bulletin"]["draft"]
    assert isinstance(draft["redactions"], list), draft
    for r in draft["redactions"]:
        assert set(r) >= {"field", "original", "reason"}, r
        assert r["field"].startswith("/") and r["original"], r
    return draft["redactions"]


def test_drafts_list_redactions_for_coordinators(world):
    w = world
    snap = w.snapshots["01_kanto_power_ransomware_early.json"]
    reds = _redactions(snap)
    assert reds, "a report with e-mail addresses, phones and names shows no redactions"
    assert any("t.yamada@kanto-power.example" in r["original"] and r["field"] == "/summary"
               for r in reds), reds
    assert any("+81-3-1234-5678" in r["original"] for r in reds), reds
    assert "[redacted]" in snap["bulletin"]["draft"]["summary"]
    assert "t.yamada@kanto-power.example" not in snap["bulletin"]["draft"]["summary"]

    snap = w.snapshots["14_hakata_hospital_phishing.json"]
    reds = _redactions(snap)
    assert any(r["original"] == "drop-box-77@mailbox.example" and r["reason"] == "email"
               for r in reds), reds

    # Every non-RED report that holds an e-mail address in its free text lists it.
    email = re.compile(r"[\w.+-]+(?:@|＠| \[at\] )[\w-]+(?:\.[\w-]+)+")
    for rep in REPORTS:
        doc = load_body(rep)
        text = doc["title"] + doc["summary"] + doc["impact"].get("description", "")
        if email.search(text):
            assert _redactions(w.snapshots[rep["file"]]), rep["file"]


def test_drafts_list_dropped_indicators(world):
    w = world
    problems = []
    for rep in REPORTS:
        draft = w.snapshots[rep["file"]]["bulletin"]["draft"]
        dropped = {(d["type"], d["value"]) for d in draft["dropped_indicators"]}
        for d in draft["dropped_indicators"]:
            assert d["reason"] in {"victim", "own-range", "private", "own-domain",
                                   "identifying-term", "unparseable", "unknown-type"}, d
        for d in rep["dropped_indicators"]:
            if (d["type"], d["value"]) not in dropped:
                problems.append(f"{rep['file']}: {d['type']} {d['value']} was not dropped")
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- review policy


def test_policy_decides_each_version(world):
    w = world
    problems = []
    for rep in REPORTS:
        doc = load_body(rep)
        b = w.snapshots[rep["file"]]["bulletin"]
        assert b["status"] in BULLETIN_STATUSES, b
        want = needs_review(doc["tlp"], doc["severity"])
        if b["status"] != want:
            problems.append(f"{rep['file']} ({doc['tlp']}, {doc['severity']}): {b['status']}, "
                            f"want {want}")
        if b["tlp"] != doc["tlp"] or b["severity"] != doc["severity"]:
            problems.append(f"{rep['file']}: bulletin tlp/severity {b['tlp']}/{b['severity']}")
        signed = bool(w.snapshots[rep["file"]]["bundle"].header("Isacd-Signature"))
        if signed != (want == "published"):
            problems.append(f"{rep['file']}: bundle signed={signed} with status {b['status']}")
        if want == "published" and b.get("published_version") != b["version"]:
            problems.append(f"{rep['file']}: published_version {b.get('published_version')}")
        if rep["follows"] and want != "published":
            # What was published before stays the published version until approval.
            prev = w.snapshots[rep["follows"]]["bulletin"]
            was = prev["version"] if prev["status"] == "published" else prev.get(
                "published_version")
            if b.get("published_version") != was:
                problems.append(f"{rep['file']}: published_version {b.get('published_version')},"
                                f" want {was}")
    assert not problems, "\n".join(problems)
    # After approval: every non-RED bulletin is published, at its latest version.
    for iid, final in w.final.items():
        b = final["bulletin"]
        red = b["tlp"] == "RED"
        assert b["status"] == ("withheld" if red else "published"), (iid, b["status"])
        if iid in w.approved:
            assert w.approved[iid]["status"] == "published", w.approved[iid]
            assert w.approved[iid]["signature"] is not None


def test_every_coordinator_action_is_audited(world):
    w = world
    rows = psql(w.db, f"SELECT action, subject, detail FROM audit_log"
                      f" WHERE actor = 'token:{w.coord.token_id}'")
    for slug, o in w.orgs.items():
        assert any(o["id"] in r[1] or o["id"] in r[2] for r in rows), (slug, "profile")
    for iid, answer in w.approved.items():
        assert any(answer["id"] in r[1] or answer["id"] in r[2] for r in rows), (iid, "approve")
    r = run_isacd(w.db, "audit", "verify")
    assert r.returncode == 0 and json.loads(r.stdout)["ok"] is True, (r.stdout, r.stderr)


def test_profiles_were_stored(world):
    for slug, answer in world.profiles.items():
        spec = ORGS[slug]
        assert answer["id"] == world.orgs[slug]["id"], answer
        p = answer["profile"]
        assert sorted(p["domains"]) == sorted(d.lower() for d in spec["domains"]), p
        assert sorted(p["terms"]) == sorted(spec["terms"]), p
        assert sorted(str(ipaddress.ip_network(r)) for r in p["ranges"]) == sorted(
            str(ipaddress.ip_network(r)) for r in spec["ranges"]), p

