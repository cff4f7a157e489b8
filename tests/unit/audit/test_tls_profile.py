"""HR-<code>-06: the public TLS profile, judged on recorded scans; the edge is found by discovery."""

from __future__ import annotations

import json

from orchestrator.audit import providers as p
from orchestrator.audit import tls_profile as t
from orchestrator.roles import ROLES
from orchestrator.validation import validate_environment

EDGE = ROLES["edge"]
# what the lab's edge answered (tests/integration/roles/edge/test_edge.py reads the same probe)
GOOD = {
    "versions": {
        "TLSv1": "refused TLSV1_ALERT_PROTOCOL_VERSION",
        "TLSv1_1": "refused TLSV1_ALERT_PROTOCOL_VERSION",
        "TLSv1_2": "ok TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256",
        "TLSv1_3": "ok TLSv1.3 TLS_AES_128_GCM_SHA256",
    },
    "suites": {
        "ECDHE-ECDSA-AES128-GCM-SHA256": "ok TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES128-SHA": "refused SSLV3_ALERT_HANDSHAKE_FAILURE",
        "DES-CBC3-SHA": "refused SSLV3_ALERT_HANDSHAKE_FAILURE",
    },
    "unknown_name": "refused TLSV1_ALERT_UNRECOGNIZED_NAME",
}


def test_the_edge_gets_a_profile_check_on_each_edge_host() -> None:
    env = validate_environment("lab")
    assert "HR-EDGE-06" in {c.id for prov in p.providers(env) for c in prov.checks}
    targets = p.profile_targets(EDGE)
    assert targets is not None
    found = targets(env)
    assert [x.label for x in found] == ["edge-1 10.77.0.31:443 app.harden.test"]
    assert "10.77.0.31 443 app.harden.test" in t.command(found[0])
    assert p.profile_targets(ROLES["postgres_ha"]) is None


def test_only_tls_12_and_13_with_the_profile_suites_pass() -> None:
    check = p.profile_check(EDGE)
    label = "edge-1 10.77.0.31:443 app.harden.test"
    good = t.judge(check, {label: json.dumps(GOOD)}, [label])
    assert good.passed, good.evidence
    assert "ECDHE-ECDSA-AES128-GCM-SHA256" in good.evidence[0].value

    old = {**GOOD, "versions": {**GOOD["versions"], "TLSv1_1": "ok TLSv1.1 ECDHE-ECDSA-AES128-SHA"}}
    cbc = {**GOOD, "suites": {**GOOD["suites"], "ECDHE-ECDSA-AES128-SHA": "ok TLSv1.2 ECDHE-ECDSA-AES128-SHA"}}
    no13 = {**GOOD, "versions": {**GOOD["versions"], "TLSv1_3": "refused TLSV1_ALERT_PROTOCOL_VERSION"}}
    for scan, said in (
        (old, "TLSv1_1 not refused by the server"),
        (cbc, "suites outside the profile accepted: ECDHE-ECDSA-AES128-SHA"),
        (no13, "TLSv1_3 not served"),
    ):
        bad = t.judge(check, {label: json.dumps(scan)}, [label])
        assert not bad.passed and said in bad.evidence[0].value, bad.evidence
    assert not t.judge(check, {}, [label]).passed  # the host did not answer
    assert not t.judge(check, {}, []).passed  # an edge that serves no name has nothing to show
