"""The plan renderer, fed with event streams recorded from real lab runs (tests/fixtures/events)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from orchestrator.plan import Plan, RunFailure, TaskResult, redact_plan, render_diff, results_from_events
from orchestrator.redact import MASK, Redactor
from orchestrator.report import MARKDOWN_CHUNK_LIMIT, render, render_markdown, render_text

EVENTS = Path(__file__).parent.parent / "fixtures" / "events"


def load_plan(name: str, role: str = "baseline") -> Plan:
    events = [json.loads(line) for line in (EVENTS / f"{name}.jsonl").read_text().splitlines()]
    return Plan(env="lab", results=results_from_events(role, events))


def test_fresh_hosts_summary_counts_changes_roles_and_hosts() -> None:
    plan = load_plan("baseline_fresh_hosts")
    assert plan.summary() == "24 changes in 1 role on 4 hosts"
    assert plan.hosts_changed() == ["data-1", "data-2", "data-3", "ops-1"]
    assert not plan.errors


def test_converged_plan_has_no_changes() -> None:
    plan = load_plan("baseline_converged")
    assert plan.changes == []
    assert plan.summary() == "0 changes in 0 roles on 0 hosts"
    assert "No changes" in render_markdown(plan)[0]


def test_failures_are_reported_with_their_message() -> None:
    plan = load_plan("baseline_package_failure")
    assert {h for e in plan.errors for h in e.hosts} == {"data-2", "data-3", "ops-1"}
    assert all("python3-cryptography" in e.message for e in plan.errors)
    assert "3 errors" in plan.summary()


def test_a_change_made_the_same_way_on_many_hosts_is_shown_once_with_every_host() -> None:
    same = [
        TaskResult("app", f"host-{h:04d}", "Write app.conf", "template", "changed", diff="+x = 2") for h in range(50)
    ]
    other = TaskResult("app", "host-0007", "Write app.conf", "template", "changed", diff="+x = 3")
    ok = [TaskResult("app", f"host-{h:04d}", "Install", "apt", "ok") for h in range(50)]
    plan = Plan(env="prod", results=[*ok, *same, other])
    assert [(len(o.hosts), o.diff) for o in plan.outcomes] == [(50, "+x = 2"), (1, "+x = 3")]  # the ok ones: counted
    assert plan.summary() == "51 changes in 1 role on 50 hosts"
    assert plan.counts()[("app", "host-0007")].changed == 2 and plan.counts()[("app", "host-0007")].ok == 1
    text = render_text(plan)
    assert text.count("+x = 2") == 1 and "  ~ host-0000, host-0001, host-0002, " in text and "host-0049: Write" in text
    (chunk,) = render_markdown(plan)
    assert chunk.count("+x = 2") == 1
    assert "`host-0019` and 30 more hosts **Write app.conf**" in chunk and "`host-0020`" not in chunk.split("+x = 3")[0]
    report = json.loads(render(plan, "json")[0])
    assert report["changes"] == 51 and len(report["results"]) == 2 and len(report["results"][0]["hosts"]) == 50
    assert len(report["counts"]) == 50 and sum(row["ok"] for row in report["counts"]) == 50


def test_a_change_that_differs_only_by_each_host_s_own_address_and_name_is_shown_once() -> None:
    def own(h: int) -> TaskResult:
        diff = f"+listen = 10.9.0.{h}:5432\n+name = db-{h:02d}\n+peers = 10.9.0.1, 10.9.0.10"
        return TaskResult("pg", f"db-{h:02d}", "Write patroni.yml", "template", "changed", diff, address=f"10.9.0.{h}")

    plan = Plan(env="prod", results=[own(h) for h in range(1, 13)])
    o, *apart = sorted(plan.outcomes, key=lambda x: -len(x.hosts))
    # 10.9.0.1 and 10.9.0.10 are peers in every diff, and the own addresses of db-01 and db-10: their
    # diffs differ from the others' (a peer line with <address> in it), so they are kept apart
    assert len(o.hosts) == 10 and sorted(h for a in apart for h in a.hosts) == ["db-01", "db-10"]
    assert o.diff == "+listen = <address>:5432\n+name = <host>\n+peers = 10.9.0.1, 10.9.0.10"
    assert o.placeholders == ("<address>", "<host>")
    assert "(<address>: each host's own address; <host>: each host's own inventory name)" in render_text(plan)
    (chunk,) = render_markdown(plan)
    assert "_<address>: each host's own address; <host>: each host's own inventory name_" in chunk
    assert json.loads(render(plan, "json")[0])["results"][0]["placeholders"] == ["<address>", "<host>"]


def test_a_host_named_like_a_word_is_not_replaced_in_paths() -> None:
    r = TaskResult("app", "app", "Write", "template", "changed", "+path = /etc/app/app.conf", address="10.9.0.5")
    (o,) = Plan(env="prod", results=[r]).outcomes
    assert o.diff == "+path = /etc/app/app.conf" and o.placeholders == ()


def test_template_diff_names_destination_not_temp_file() -> None:
    plan = load_plan("baseline_fresh_hosts")
    diff = next(r.diff for r in plan.changes if r.task == "Configure journald storage and retention")
    assert "+++ after (rendered from journald.conf.j2)" in diff
    assert "ansible-local" not in diff
    assert "+SystemMaxUse=500M" in diff


def test_markdown_starts_with_one_line_summary_and_folds_each_role() -> None:
    (chunk,) = render_markdown(load_plan("baseline_fresh_hosts"))
    lines = chunk.splitlines()
    assert lines[0] == "<!-- harden-plan env=lab part=1 -->"  # hidden: posting finds its comment by it
    assert lines[1] == "**24 changes in 1 role on 4 hosts**: `harden plan` for `lab`"
    assert chunk.count("<details>") == chunk.count("</details>") == 1
    assert "```diff" in chunk


def _balanced(chunk: str) -> bool:
    return chunk.count("<details>") == chunk.count("</details>") and chunk.count("```") % 2 == 0


def test_markdown_splits_into_self_contained_chunks() -> None:
    plan = load_plan("baseline_fresh_hosts")
    chunks = render_markdown(plan, limit=1_200)
    assert len(chunks) > 1
    for i, chunk in enumerate(chunks, start=1):
        assert len(chunk) < 1_200
        assert _balanced(chunk)
        assert f"(part {i} of {len(chunks)})" in chunk
        assert "24 changes in 1 role on 4 hosts" in chunk
    joined = "".join(chunks)
    assert all(r.task in joined for r in plan.changes)


def test_huge_diff_is_truncated_to_fit_a_comment() -> None:
    big = "\n".join(f"+line {i} " + "x" * 80 for i in range(5_000))
    plan = Plan(
        env="prod",
        results=[
            TaskResult("vault", "data-1", "Render config", "template", "changed", diff=big),
            TaskResult("vault", "data-2", "Render config", "template", "changed", diff="+small"),
        ],
    )
    chunks = render_markdown(plan)
    assert all(len(c) < MARKDOWN_CHUNK_LIMIT and _balanced(c) for c in chunks)
    assert "diff truncated" in "".join(chunks)
    assert "+small" in "".join(chunks)


def test_many_roles_split_between_roles() -> None:
    results = [
        TaskResult(f"role{r}", f"host{h}", "Write file", "copy", "changed", diff=f"+{h}" + "y" * 2_000)
        for r in range(4)
        for h in range(10)
    ]
    chunks = render_markdown(Plan(env="staging", results=results), limit=30_000)
    assert len(chunks) >= 3
    assert all(_balanced(c) and len(c) < 30_000 for c in chunks)


def test_secrets_are_redacted_in_every_format() -> None:
    secret = "Zq8vN3pL0tXw7rYb"
    plan = Plan(
        env="lab",
        results=[
            TaskResult(
                "redis_sentinel",
                "data-1",
                "Write ACL",
                "template",
                "changed",
                diff=f"+user app on >{secret} ~* +@read\n+requirepass {secret}\n+masterauth other-value",
            ),
        ],
    )
    clean = redact_plan(plan, Redactor([secret]))
    for text in [render_text(clean), *render_markdown(clean)]:
        assert secret not in text
        assert "other-value" not in text
        assert MASK in text


def test_render_diff_handles_prepared_and_dict_forms() -> None:
    assert render_diff({"prepared": "install foo"}) == "install foo"
    out = render_diff([{"before": {"state": "absent"}, "after": {"state": "directory"}}])
    assert "-state: absent" in out and "+state: directory" in out
    assert render_diff({"before": "same", "after": "same"}) == ""


FAILED_RUN = RunFailure(
    "baseline", "failed", 1, ".harden/runs/x/artifacts/baseline", "[WARNING]: Could not match supplied host pattern"
)


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_a_failed_run_is_never_shown_as_no_changes(fmt: str) -> None:
    """`--limit typo-host`: the run fails without a single task event."""
    plan = Plan(env="lab", failures=[FAILED_RUN])
    out = "".join(render(plan, fmt))
    assert "No changes" not in out
    assert "FAILED" in out and "Could not match supplied host pattern" in out
    assert ".harden/runs/x/artifacts/baseline" in out


def test_a_code_fence_in_the_failure_does_not_break_the_comment() -> None:
    plan = Plan(env="lab", failures=[RunFailure("pki", "failed", 2, "d", "oops\n```\nnot a fence")])
    (chunk,) = render(plan, "markdown")
    assert "~~~~\noops\n```\nnot a fence\n~~~~" in chunk


def _unreachable_plan() -> Plan:
    down = "Task failed: Failed to connect to the host via ssh: ssh: connect to host 10.0.0.2 port 22: No route to host"
    return Plan(
        env="staging",
        results=[
            TaskResult("baseline", "db-2", "Gathering Facts", "gather_facts", "unreachable", message=down),
            TaskResult("baseline", "db-1", "Gathering Facts", "gather_facts", "unreachable", message=down),
            TaskResult("baseline", "ops-1", "Write sshd_config", "template", "changed", diff="+x"),
        ],
        failures=[RunFailure("baseline", "failed", 4, "/runs/x", "PLAY RECAP *****\nlots of recap")],
    )


def test_unreachable_hosts_are_one_line_each_and_changes_elsewhere_still_show() -> None:
    text = render_text(_unreachable_plan())
    assert "!! baseline: 2 host(s) unreachable\n" in text
    assert "   db-1: ssh: connect to host 10.0.0.2 port 22: No route to host\n   db-2: ssh:" in text
    assert "PLAY RECAP" not in text and text.count("db-1") == 1  # not again under the role
    assert "~ ops-1: Write sshd_config [changed]" in text and "no changes" not in text


def test_unreachable_hosts_in_markdown_are_listed_instead_of_the_recap() -> None:
    (chunk,) = render_markdown(_unreachable_plan())
    assert "### :x: `baseline`: 2 host(s) unreachable\n\n- `db-1`: ssh: connect to host" in chunk
    assert "PLAY RECAP" not in chunk


SSH_HOST_KEY_CHANGED = (
    "Failed to connect to the host via ssh: @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\r\n"
    "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\r\n"
    "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\r\n"
    "IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\r\n"
    "Host key for data-1 has changed and you have requested strict checking.\r\n"
    "Host key verification failed."
)


def test_an_unreachable_host_is_named_with_ssh_s_verdict_not_its_banner() -> None:
    events = [
        {
            "event": "runner_on_unreachable",
            "event_data": {
                "host": "data-1",
                "task": "Gathering Facts",
                "res": {"msg": SSH_HOST_KEY_CHANGED, "unreachable": True},
            },
        },
    ]
    plan = Plan(
        env="lab",
        results=results_from_events("baseline", events),
        failures=[RunFailure(role="baseline", status="failed", rc=4, artifact_dir="a", tail="")],
    )
    (error,) = plan.errors
    assert error.message == "Failed to connect to the host via ssh: Host key verification failed."
    text = render_text(plan)
    assert "   data-1: Host key verification failed." in text, text
    assert "@@@" not in text


@pytest.mark.parametrize(
    ("text", "value", "joiners", "expected"),
    [
        ("listen 10.0.0.1 now", "10.0.0.1", ".", "listen <m> now"),
        ("peer 10.0.0.10", "10.0.0.1", ".", "peer 10.0.0.10"),
        ("x.10.0.0.1", "10.0.0.1", ".", "x.10.0.0.1"),
        ("at 10.0.0.1.", "10.0.0.1", ".", "at <m>."),
        ("db-1-old db-1", "db-1", "-", "db-1-old <m>"),
        ("db-1:5432", "db-1", "-", "<m>:5432"),
        ("db-1.example.org", "db-1", "-", "<m>.example.org"),
    ],
)
def test_only_whole_values_become_placeholders(text: str, value: str, joiners: str, expected: str) -> None:
    from orchestrator.plan import _replace_whole

    assert _replace_whole(text, value, "<m>", joiners)[0] == expected


def test_a_loop_s_diff_is_each_changed_item_s() -> None:
    """A looped task's final event holds its items' results, not a diff of its own."""
    items = [
        {"changed": True, "dest": "/etc/a.service", "diff": [{"before": "x=1\n", "after": "x=2\n"}]},
        {"changed": False, "dest": "/etc/b.service", "diff": [{"before": "y\n", "after": "y\n"}]},
        {"changed": True, "dest": "/etc/c.service", "diff": {"before": "", "after": "z\n"}},
    ]
    event = {
        "event": "runner_on_ok",
        "event_data": {"host": "h", "task": "units", "res": {"changed": True, "results": items}},
    }
    (result,) = results_from_events("r", [event])
    assert result.status == "changed"
    assert "--- /etc/a.service" in result.diff and "+x=2" in result.diff
    assert "+++ /etc/c.service" in result.diff and "+z" in result.diff
    assert "/etc/b.service" not in result.diff


def _hidden(task: str, host: str = "h") -> dict[str, Any]:
    """A no_log task's result as ansible-runner writes it: `changed` dropped with the rest."""
    return {"event": "runner_on_ok", "event_data": {"host": host, "task": task, "res": {"censored": "hidden"}}}


def _stats(**changed: int) -> dict[str, Any]:
    return {"event": "playbook_on_stats", "event_data": {"changed": changed}}


def test_a_hidden_task_s_change_is_counted_from_ansible_s_own_count() -> None:
    shown = {"event": "runner_on_ok", "event_data": {"host": "h", "task": "file", "res": {"changed": True}}}
    events = [_hidden("secret a"), shown, _hidden("secret b"), _hidden("secret a", "g"), _stats(h=3, g=0)]
    results = [(r.host, r.task, r.status) for r in results_from_events("r", events)]
    assert sorted(results) == [
        ("g", "secret a", "ok"),
        ("h", "file", "changed"),
        ("h", "secret a", "changed"),
        ("h", "secret b", "changed"),
    ]


def test_when_some_hidden_tasks_changed_each_change_names_the_candidates() -> None:
    events = [_hidden("secret a"), _hidden("secret b"), _stats(h=1)]
    results = [(r.task, r.status) for r in results_from_events("r", events)]
    assert results == [
        ("one of these tasks, whose output is hidden (no_log): secret a, secret b", "changed"),
        ("secret b", "ok"),
    ]


def test_hidden_results_without_a_count_are_kept_as_ok() -> None:
    assert [r.status for r in results_from_events("r", [_hidden("secret a")])] == ["ok"]
