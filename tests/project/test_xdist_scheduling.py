"""How pytest-xdist hands out the suite (tests/conftest.py): each module that starts servers
in module-scoped fixtures runs whole on one worker, first; every other test on its own."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from tests.conftest import SHARED_SERVER_MODULES, pytest_xdist_make_scheduler

SHARED = sorted(SHARED_SERVER_MODULES)[:2]
COLLECTION = [
    "tests/pets/test_api.py::test_a",
    *(f"{SHARED[0]}::test_{n}" for n in range(4)),
    "tests/pets/test_api.py::test_b",
    *(f"{SHARED[1]}::test_{n}" for n in range(3)),
    *(f"tests/pets/test_events.py::test_{n}" for n in range(6)),
]


class Config:
    def __init__(self, dist: str) -> None:
        self.option = SimpleNamespace(dist=dist, tx=["popen"] * 3, loadscopereorder=True)

    def getoption(self, name: str) -> Any:
        return getattr(self.option, name)

    getvalue = getoption


class Worker:
    def __init__(self, name: str) -> None:
        self.name, self.shutting_down = name, False
        self.sent: list[int] = []  # indexes sent and not yet run
        self.ran: list[str] = []
        self.gateway = SimpleNamespace(id=name)

    def send_runtest_some(self, indexes: list[int]) -> None:
        self.sent += indexes

    def shutdown(self) -> None:
        self.shutting_down = True


def _run(scheduler: Any, workers: list[Worker]) -> dict[str, str]:
    """Drive the scheduler as xdist does until every test ran: the worker of each test."""
    for worker in workers:
        scheduler.add_node(worker)
        scheduler.add_node_collection(worker, COLLECTION)
    scheduler.schedule()
    ran_on: dict[str, str] = {}
    while any(w.sent for w in workers):
        for worker in workers:
            if worker.sent:
                index = worker.sent.pop(0)
                ran_on[COLLECTION[index]] = worker.name
                worker.ran.append(COLLECTION[index])
                scheduler.mark_test_complete(worker, index, 0.0)
    return ran_on


def test_a_shared_server_module_runs_whole_on_one_worker_and_first() -> None:
    workers = [Worker(f"gw{n}") for n in range(3)]

    ran_on = _run(pytest_xdist_make_scheduler(Config("load"), None), workers)

    assert sorted(ran_on) == sorted(COLLECTION)  # each test once
    for module in SHARED:
        assert len({w for test, w in ran_on.items() if test.startswith(module)}) == 1, ran_on
    firsts = {w.ran[0].split("::")[0] for w in workers}
    assert set(SHARED) <= firsts  # the two largest units started the run
    others = [test for test in COLLECTION if not test.startswith(tuple(SHARED))]
    assert len({ran_on[test] for test in others}) == 3  # the rest spread over every worker


def test_an_explicit_dist_mode_is_left_to_xdist() -> None:
    assert pytest_xdist_make_scheduler(Config("loadfile"), None) is None
