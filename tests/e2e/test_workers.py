"""Two isacd instances on one database share the anonymization work.

Each report becomes exactly one bulletin version, each incident exactly
one bulletin, and whatever order the two workers finish jobs in, a
bulletin's latest version shows the incident's latest report.
"""

import time

from conftest import migrate, psql, valid_report


def test_two_instances_share_the_outbox(databases, server_factory, operator_factory):
    db = databases.create("workers")
    migrate(db)
    a = server_factory("workers-a", dsn=db).start()
    b = server_factory("workers-b", dsn=db).start()
    ops = [operator_factory(a.base_url, db=db), operator_factory(b.base_url, db=db)]
    incidents = {}  # incident id -> title of its latest report
    for n in range(12):
        op = ops[n % 2]
        r, _ = op.post_report(valid_report(title=f"Wave {n} first"))
        assert r.status == 201, r
        iid = r.json()["incident_id"]
        for phase, title in (("notification", f"Wave {n} second"), ("final", f"Wave {n} last")):
            r, _ = op.post_report(valid_report(incident_id=iid, phase=phase, title=title))
            assert r.status == 201, r
        incidents[iid] = f"Wave {n} last"

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        pending = psql(db, "SELECT count(*) FROM outbox WHERE done_at IS NULL")[0][0]
        if pending == "0":
            break
        time.sleep(0.2)
    assert pending == "0", "the two workers did not drain the outbox"

    rows = psql(db, "SELECT b.incident_id, b.version, v.draft->>'title',"
                    " (SELECT count(*) FROM bulletin_versions w WHERE w.bulletin_id = b.id)"
                    " FROM bulletins b JOIN bulletin_versions v"
                    " ON v.bulletin_id = b.id AND v.version = b.version")
    assert {r[0] for r in rows} == set(incidents), "one bulletin per incident"
    for iid, version, title, versions in rows:
        assert version == "3" and versions == "3", (iid, version, versions)
        assert title == incidents[iid], (iid, title)
    claimed = {r[0] for r in psql(db, "SELECT DISTINCT claimed_by FROM outbox")}
    assert len(claimed) >= 1
