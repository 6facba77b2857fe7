"""`orchestrate` through the installed `bosun_client` package, against the real binary.

The mock provider is scripted per role, as Tests/EndToEndTests/OrchestrateEndToEndTests.swift
does it: the planner by its system prompt ("bosun's planner"), the synthesizer likewise,
and each subtask's worker by its task text (`lastMessage`).
"""
import asyncio
import threading

import pytest

from conftest import write_mock_config

from bosun_client import (AsyncBosunClient, BosunClient, BosunError, Decision, ErrorCode, OrchestrateResult,
                          OrchestrationEvent, Plan, SubtaskOutcome, SynthesisResult, VerifiedShare)

SCRIPT = """\
rules:
  - match: { system: "bosun's planner" }
    reply:
      toolCalls:
        - name: submit_result
          input:
            subtasks:
              - { id: a, role: worker, brief: { task: "Collect fact A" } }
              - { id: b, role: worker, brief: { task: "Collect fact B" } }
              - { id: c, role: worker, brief: { task: "Combine the facts" }, after: [a, b] }
  - match: { system: "bosun's synthesizer" }
    reply:
      toolCalls:
        - name: submit_result
          input: { text: "A is 1, B is 2, together 3.", sources: [{ workerId: "$enum[0]", claim: "A+B is 3" }], conflicts: [], gaps: [] }
  - match: { lastMessage: "Collect fact A" }
    reply: { toolCalls: [{ name: submit_result, input: { text: "A is 1" } }] }
  - match: { lastMessage: "Collect fact B" }
    reply: { toolCalls: [{ name: submit_result, input: { text: "B is 2" } }] }
  - match: { lastMessage: "Combine the facts" }
    reply: { toolCalls: [{ name: submit_result, input: { text: "A+B is 3" } }] }
"""

GOAL = "Find A and B and combine them"


@pytest.fixture
def config(mock_provider, tmp_path):
    script = tmp_path / "mock.yaml"
    script.write_text(SCRIPT)
    port = mock_provider("--latency-ms", "50", "--tool-steps", "0", "--script", str(script))
    return write_mock_config(tmp_path, port)


def check_scripted_result(result, events, goal=GOAL):
    assert isinstance(result, OrchestrateResult) and result.state == "succeeded" and result.ended, result.raw
    assert result.id.startswith("o_") and result.goal == goal and result.reason is None
    assert isinstance(result.plan, Plan)
    assert [(s.id, s.brief.task, s.after) for s in result.plan.subtasks] == [
        ("a", "Collect fact A", []), ("b", "Collect fact B", []), ("c", "Combine the facts", ["a", "b"])]
    assert all(isinstance(o, SubtaskOutcome) for o in result.verification)
    assert {o.subtask: o.status for o in result.verification} == {"a": "passed", "b": "passed", "c": "passed"}
    by_worker = {w.id: w for w in result.workers}
    assert all(o.worker_id in by_worker and o.attempts == [o.worker_id] for o in result.verification)
    # No subtask had a deterministic check, so an evaluator verified each.
    roles = [w.role for w in result.workers]
    assert roles[0] == "planner" and roles[-1] == "synthesizer", roles
    assert sorted(roles[1:-1]) == ["evaluator"] * 3 + ["worker"] * 3, roles
    assert {o.verification for o in result.verification} == {"passed"}
    assert result.verified == VerifiedShare(passed=3, verified=3, share=1, opted_out=False)
    assert all(w.parent == result.id and w.state == "succeeded" for w in result.workers)
    combine = next(w for w in result.workers if w.task == "Combine the facts")
    assert sorted(combine.after or []) == sorted(o.worker_id for o in result.verification if o.subtask in ("a", "b"))
    assert isinstance(result.synthesis, SynthesisResult) and result.synthesis.text == "A is 1, B is 2, together 3."
    assert result.synthesis.id == result.workers[-1].id
    assert result.decisions == [] and result.usage.total_tokens > 0
    assert result.usage.cost_usd == pytest.approx(sum(w.usage.cost_usd for w in result.workers))

    # The callback saw this orchestration's events, each once and in order, to its end.
    assert all(isinstance(e, OrchestrationEvent) and e.orchestration_id == result.id for e in events)
    assert [e.seq for e in events] == list(range(1, len(events) + 1)), [(e.seq, e.kind) for e in events]
    kinds = [e.kind for e in events]
    assert kinds[0] == "started" and events[0].data["goal"] == goal
    assert kinds[-1] == "succeeded" and events[-1].terminal and not any(e.terminal for e in events[:-1])
    assert "plan" in kinds and "synthesis" in kinds
    assert kinds.index("plan") < kinds.index("subtask") and kinds.index("synthesis") < len(kinds) - 1
    passed = [e.data["subtask"] for e in events if e.kind == "subtask" and e.data["status"] == "passed"]
    assert sorted(passed) == ["a", "b", "c"] and passed[-1] == "c"


def test_orchestrate_runs_a_plan_and_reports_it_typed_with_its_events(bosun_bin, config, tmp_path):
    notes, events = [], []
    with BosunClient.start([bosun_bin, "serve", "--config", str(config)], cwd=tmp_path,
                           on_notification=notes.append) as client:
        client.initialize(root=str(tmp_path))
        result = client.orchestrate(GOAL, max_workers=3, max_replans=1, timeout_seconds=120,
                                    on_event=events.append, work_done_token="orch", timeout=180)
        check_scripted_result(result, events)
        assert threading.current_thread() is threading.main_thread()

        # The same events from the trace store, through the stream; status lists it.
        streamed = list(client.orchestration_events(result.id))
        assert [(e.seq, e.kind) for e in streamed] == [(e.seq, e.kind) for e in events]
        assert [(e.seq, e.kind) for e in client.orchestration_events(result.id, after_seq=2)] == \
            [(e.seq, e.kind) for e in events[2:]]
        [summary] = client.status().orchestrations
        assert (summary.id, summary.state, summary.subtasks, summary.decisions) == (result.id, "succeeded",
                                                                                    {"passed": 3}, 0)
        assert summary.ended_at >= summary.created_at

    progress = [n.params["value"]["kind"] for n in notes if n.method == "$/progress" and n.params["token"] == "orch"]
    assert progress[0] == "begin" and progress[-1] == "end" and "report" in progress


def test_orchestrate_errors_carry_the_servers_code_and_field(bosun_bin, config, tmp_path):
    events = []
    with BosunClient.start([bosun_bin, "serve", "--config", str(config)], cwd=tmp_path) as client:
        client.initialize(root=str(tmp_path))
        with pytest.raises(BosunError) as role:
            client.orchestrate(GOAL, roles=["pirate"], on_event=events.append)
        assert role.value.code == ErrorCode.UNKNOWN_ROLE_MODEL_OR_PROVIDER and role.value.field == "roles"
        assert "pirate" in role.value.message and "worker" in role.value.message
        with pytest.raises(BosunError) as empty:
            client.orchestrate("  ")
        assert empty.value.code == ErrorCode.INVALID_PARAMS and empty.value.field == "goal"
        with pytest.raises(BosunError) as limit:
            client.orchestrate(GOAL, max_workers=0)
        assert limit.value.code == ErrorCode.INVALID_PARAMS and limit.value.field == "limits.maxWorkers"
        with pytest.raises(BosunError) as unknown:
            client.orchestrate(resume="o_nothing")  # resuming needs no goal; this id is unknown
        assert unknown.value.code == ErrorCode.INVALID_PARAMS and unknown.value.field == "resume"
        assert client.status().orchestrations == []
    assert events == []


def test_the_asyncio_client_orchestrates_twice_at_once_each_call_with_its_own_events(bosun_bin, config, tmp_path):
    # The same goal twice at once: each call knows its orchestration by the token it sent.
    other_goal = GOAL

    async def run():
        events, other_events = [], []
        async with await AsyncBosunClient.start([bosun_bin, "serve", "--config", str(config)],
                                                cwd=tmp_path) as client:
            await client.initialize(root=str(tmp_path), max_concurrent_workers=4)
            result, other = await asyncio.gather(
                client.orchestrate(GOAL, on_event=events.append, timeout=180),
                client.orchestrate("  " + other_goal + "\n", on_event=other_events.append, timeout=180))
            streamed = [e async for e in client.orchestration_events(result.id)]
            with pytest.raises(BosunError) as finished:
                await client.orchestrate(resume=result.id)
            assert finished.value.code == ErrorCode.WRONG_WORKER_STATE and finished.value.field == "resume"
            return result, events, other, other_events, streamed

    result, events, other, other_events, streamed = asyncio.run(asyncio.wait_for(run(), 200))
    check_scripted_result(result, events)
    check_scripted_result(other, other_events, goal=other_goal)  # the server trims the goal
    assert result.id != other.id
    assert {e.orchestration_id for e in events} == {result.id}
    assert {e.orchestration_id for e in other_events} == {other.id}
    assert [(e.seq, e.kind) for e in streamed] == [(e.seq, e.kind) for e in events]


def test_decisions_are_typed():
    decision = Decision.from_wire({"at": "2026-12-02T17:00:00.5Z", "kind": "retry", "subtask": "x", "reason": "why"})
    assert (decision.kind, decision.subtask, decision.reason, decision.at.microsecond) == ("retry", "x", "why", 500000)


def test_an_orchestration_is_cancelled_by_the_id_its_events_carry(bosun_bin, mock_provider, tmp_path):
    script = tmp_path / "slow.yaml"
    script.write_text(SCRIPT.replace('  - match: { lastMessage: "Collect fact A" }\n',
                                     '  - match: { lastMessage: "Collect fact A" }\n    latencyMs: 60000\n'))
    config = write_mock_config(tmp_path, mock_provider("--latency-ms", "50", "--tool-steps", "0", "--script", str(script)))
    running, events, results = threading.Event(), [], []

    def on_event(event):  # on the reader thread: only note it; the main thread acts
        events.append(event)
        if event.kind == "subtask" and event.data["subtask"] == "a" and event.data.get("workerId"):
            running.set()

    with BosunClient.start([bosun_bin, "serve", "--config", str(config)], cwd=tmp_path) as client:
        client.initialize(root=str(tmp_path))
        call = threading.Thread(target=lambda: results.append(client.orchestrate(GOAL, on_event=on_event, timeout=120)))
        call.start()
        assert running.wait(60), [(e.kind, e.data) for e in events]
        orchestration = events[0].orchestration_id
        assert client.status().orchestrations[0].state == "running"
        cancelled = client.cancel(orchestration, reason="not needed")
        call.join(60)
        [result] = results
        assert result.id == orchestration and result.state == "cancelled", result.raw
        assert result.synthesis is None and events[-1].kind == "cancelled" and events[-1].terminal
        slow = next(o for o in result.verification if o.subtask == "a")
        assert slow.status != "passed" and slow.worker_id in cancelled.cancelled
        assert client.status(slow.worker_id).state == "cancelled"
        assert [e.kind for e in client.orchestration_events(orchestration)][-1] == "cancelled"
