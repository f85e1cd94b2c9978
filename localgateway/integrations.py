"""Integrations: the Lambda handler (in threads or worker processes) and an HTTP upstream."""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
import traceback
from dataclasses import asdict
from multiprocessing.connection import Connection
from typing import Any

import anyio
import anyio.to_thread
from django.utils.module_loading import import_string

from localgateway.events import LambdaContext


class InvocationTimeoutError(Exception):
    """The handler ran past its deadline."""


class InvocationError(Exception):
    """The handler raised, or its result could not be serialised: a Lambda function error."""


def _run(handler: Any, event: dict[str, Any], context: LambdaContext) -> Any:
    """Call the handler the way the Lambda runtime does: JSON in, JSON out."""
    try:
        result = handler(json.loads(json.dumps(event)), context)
        return json.loads(json.dumps(result))
    except Exception as exc:
        raise InvocationError(f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}") from exc


class ThreadInvoker:
    """Runs the handler in this process, off the event loop, at most `concurrency` at once.

    Python cannot stop a thread: a call past its timeout gets its 503/500 answer but runs on
    to its end (its writes still happen), and keeps its slot until then, so `concurrency`
    bounds the handler threads alive, abandoned ones included. `--isolate` kills them.
    """

    def __init__(self, handler_path: str, concurrency: int) -> None:
        self.handler = import_string(handler_path)
        # Held by the worker thread itself: anyio's limiter would free the slot when the
        # caller gives up, while the thread still runs.
        self.slots = threading.BoundedSemaphore(concurrency)
        self.limiter = anyio.CapacityLimiter(max(concurrency * 4, 40))

    def _call(self, event: dict[str, Any], context: LambdaContext) -> Any:
        with self.slots:
            return _run(self.handler, event, context)

    async def invoke(self, event: dict[str, Any], context: LambdaContext, timeout: float) -> Any:
        try:
            with anyio.fail_after(timeout):
                # Waiting for a slot counts against the timeout, as a busy Lambda would.
                return await anyio.to_thread.run_sync(
                    self._call, event, context, limiter=self.limiter, abandon_on_cancel=True
                )
        except TimeoutError:
            raise InvocationTimeoutError from None

    async def aclose(self) -> None:
        return None


def _worker(handler_path: str, conn: Connection) -> None:
    """A worker process: one "Lambda instance" that imports the handler once (its cold start)."""
    # What Lambda tells an instance started for a request, before its init: the handler
    # module leaves what requests do not use to its first use then (lambda_runtime.handler),
    # and a worker should run that init, not a server's. Kept if the shell sets another.
    os.environ.setdefault("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
    handler = import_string(handler_path)
    while True:
        try:
            event, context_fields = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        context_fields.pop("started", None)  # the deadline starts in this process
        try:
            conn.send(("ok", _run(handler, event, LambdaContext(**context_fields))))
        except InvocationError as exc:
            conn.send(("error", str(exc)))


class ProcessInvoker:
    """Runs each invocation in a worker process, one at a time per worker, like separate
    Lambda instances; a worker that times out is killed, as Lambda ends a timed-out sandbox."""

    def __init__(self, handler_path: str, workers: int) -> None:
        self.handler_path = handler_path
        self.idle: list[tuple[multiprocessing.process.BaseProcess, Connection]] = []
        self.slots = anyio.Semaphore(workers)
        self.context = multiprocessing.get_context("spawn")

    def _start(self) -> tuple[multiprocessing.process.BaseProcess, Connection]:
        parent, child = self.context.Pipe()
        process = self.context.Process(target=_worker, args=(self.handler_path, child), daemon=True)
        process.start()
        child.close()
        return process, parent

    async def invoke(self, event: dict[str, Any], context: LambdaContext, timeout: float) -> Any:
        async with self.slots:
            idle = self._idle_worker()
            worker = idle if idle is not None else await anyio.to_thread.run_sync(self._start)
            process, conn = worker
            try:
                with anyio.fail_after(timeout):
                    await anyio.to_thread.run_sync(conn.send, (event, asdict(context)))
                    kind, payload = await anyio.to_thread.run_sync(
                        conn.recv, abandon_on_cancel=True
                    )
            except TimeoutError:
                process.kill()
                conn.close()
                await anyio.to_thread.run_sync(process.join, 5)  # reap it: no zombie
                raise InvocationTimeoutError from None
            except (EOFError, OSError) as exc:
                process.kill()
                conn.close()
                raise InvocationError(f"the worker process died: {exc}") from exc
            self.idle.append(worker)
        if kind == "error":
            raise InvocationError(payload)
        return payload

    def _idle_worker(self) -> tuple[multiprocessing.process.BaseProcess, Connection] | None:
        """An idle worker that is still alive; dead ones (killed, crashed) are dropped."""
        while self.idle:
            process, conn = self.idle.pop()
            if process.is_alive():
                return process, conn
            conn.close()
            process.join(timeout=0)
        return None

    async def aclose(self) -> None:
        for process, conn in self.idle:
            conn.close()
            process.kill()
        self.idle.clear()
