"""The in-memory task store keeps each task encoded: it answers every TaskStore call as the SDK's
in-memory store does, per owner, with copies, and bounded as any store an agent opens."""

from __future__ import annotations

from a2a.auth.user import User
from a2a.server.context import ServerCallContext
from a2a.server.tasks import InMemoryTaskStore, TaskStore
from a2a.types import Artifact, ListTasksRequest, Message, Part, Role, Task, TaskState, TaskStatus
from google.protobuf import json_format, struct_pb2

from agents.hosting.store import BoundedTaskStore, SerializedTaskStore


class _Named(User):
    def __init__(self, name: str) -> None:
        self._name = name

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def user_name(self) -> str:
        return self._name


def _context(user: str) -> ServerCallContext:
    return ServerCallContext(user=_Named(user))


def _task(n: int, state: TaskState, context_id: str = "c-1") -> Task:
    places = struct_pb2.Struct()
    places.update(
        {
            "places": [{"name": f"Charger {k}", "km": 0.4 * k, "open": k % 2 == 0} for k in range(6)],
            "query": {"category": "charging", "near": None},
        }
    )
    task = Task(id=f"t-{n}", context_id=context_id, status=TaskStatus(state=state))
    task.status.timestamp.FromSeconds(1_700_000_000 + n)
    task.history.append(
        Message(message_id=f"m-{n}", role=Role.ROLE_USER, parts=[Part(text=f"find a charger {n}")])
    )
    task.artifacts.append(
        Artifact(
            artifact_id=f"a-{n}",
            name="result",
            parts=[Part(text="Here are six."), Part(data=struct_pb2.Value(struct_value=places))],
        )
    )
    task.metadata.update({"turn": n, "seat": "driver"})
    return task


def _as_json(task: Task | None) -> object:
    return None if task is None else json_format.MessageToDict(task)


async def _fill(store: TaskStore) -> None:
    states = (
        TaskState.TASK_STATE_COMPLETED,
        TaskState.TASK_STATE_INPUT_REQUIRED,
        TaskState.TASK_STATE_FAILED,
    )
    for n in range(12):
        await store.save(_task(n, states[n % 3], f"c-{n % 4}"), _context("alice"))
    await store.save(_task(100, TaskState.TASK_STATE_COMPLETED), _context("bob"))


async def test_it_answers_get_list_and_delete_as_the_sdk_in_memory_store() -> None:
    ours, theirs = SerializedTaskStore(), InMemoryTaskStore()
    for store in (ours, theirs):
        await _fill(store)
    alice, bob = _context("alice"), _context("bob")

    for task_id in ("t-0", "t-5", "t-11", "t-100", "nope"):
        for who in (alice, bob):
            assert _as_json(await ours.get(task_id, who)) == _as_json(await theirs.get(task_id, who))
    assert await ours.get("t-100", alice) is None  # another owner's task is not found
    assert await ours.get("t-5", alice) == _task(5, TaskState.TASK_STATE_FAILED, "c-1")

    requests = [
        ListTasksRequest(),
        ListTasksRequest(context_id="c-1"),
        ListTasksRequest(status=TaskState.TASK_STATE_INPUT_REQUIRED),
        ListTasksRequest(page_size=5),
    ]
    for request in requests:
        mine, sdk = await ours.list(request, alice), await theirs.list(request, alice)
        assert json_format.MessageToDict(mine) == json_format.MessageToDict(sdk)
    first = await ours.list(ListTasksRequest(page_size=5), alice)
    second = ListTasksRequest(page_size=5, page_token=first.next_page_token)
    assert [t.id for t in (await ours.list(second, alice)).tasks] == [
        t.id for t in (await theirs.list(second, alice)).tasks
    ]
    assert [t.id for t in first.tasks] == ["t-11", "t-10", "t-9", "t-8", "t-7"]

    for store in (ours, theirs):
        await store.delete("t-3", alice)
        await store.delete("t-100", alice)  # bob's: nothing happens
        await store.delete("never", alice)
    assert await ours.get("t-3", alice) is None
    assert await ours.get("t-100", bob) is not None
    assert len(ours) == 12
    await ours.delete("t-100", bob)
    assert len(ours) == 11


async def test_it_keeps_what_was_saved_not_what_is_changed_after() -> None:
    store = SerializedTaskStore()
    alice = _context("alice")
    task = _task(1, TaskState.TASK_STATE_WORKING)
    await store.save(task, alice)
    task.status.state = TaskState.TASK_STATE_COMPLETED  # changed after the save: not in the store
    read = await store.get("t-1", alice)
    assert read is not None
    assert read.status.state == TaskState.TASK_STATE_WORKING
    read.history.append(Message(message_id="later", role=Role.ROLE_AGENT, parts=[Part(text="x")]))
    again = await store.get("t-1", alice)
    assert again is not None
    assert len(again.history) == 1  # each read is a copy of its own
    await store.save(task, alice)  # a save replaces the task as it is now
    latest = await store.get("t-1", alice)
    assert latest is not None
    assert latest.status.state == TaskState.TASK_STATE_COMPLETED


async def test_bounded_it_keeps_the_newest_tasks_and_the_questions() -> None:
    store = BoundedTaskStore(SerializedTaskStore(), max_tasks=4)
    alice = _context("alice")
    await store.save(_task(0, TaskState.TASK_STATE_INPUT_REQUIRED), alice)
    for n in range(1, 20):
        await store.save(_task(n, TaskState.TASK_STATE_COMPLETED), alice)
    assert len(store) == 4
    assert isinstance(store.inner, SerializedTaskStore)
    assert len(store.inner) == 4
    kept = [n for n in range(20) if await store.get(f"t-{n}", alice) is not None]
    # The question outlives the finished tasks after it; of those, the three most recent are kept.
    assert kept == [0, 17, 18, 19]
    assert await store.get("t-19", alice) == _task(19, TaskState.TASK_STATE_COMPLETED)


async def test_default_bound_keeps_a_question_for_every_session_the_orchestrator_keeps() -> None:
    from agents.hosting.store import DEFAULT_MAX_TASKS
    from orchestrator.dialogue import MAX_SESSIONS

    assert DEFAULT_MAX_TASKS >= MAX_SESSIONS
    store = BoundedTaskStore(SerializedTaskStore())
    alice = _context("alice")
    questions = range(MAX_SESSIONS)
    for n in questions:  # one question waiting in every session
        await store.save(_task(n, TaskState.TASK_STATE_INPUT_REQUIRED, context_id=f"c-{n}"), alice)
    for n in range(MAX_SESSIONS, MAX_SESSIONS + 3 * DEFAULT_MAX_TASKS):  # then many answered turns
        await store.save(_task(n, TaskState.TASK_STATE_COMPLETED), alice)
    assert len(store) == DEFAULT_MAX_TASKS
    assert isinstance(store.inner, SerializedTaskStore)
    assert len(store.inner) == DEFAULT_MAX_TASKS
    for n in questions:
        kept = await store.get(f"t-{n}", alice)
        assert kept is not None
        assert kept.status.state == TaskState.TASK_STATE_INPUT_REQUIRED
