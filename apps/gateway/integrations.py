"""Integrations: the Lambda handler (in threads or worker processes) and an HTTP upstream."""

from __future__ import annotations

import json
import multiprocessing
import traceback
from dataclasses import asdict
from multiprocessing.connection import Connection
from typing import Any

import anyio
import anyio.to_thread
from django.utils.module_loading import import_string

from apps.gateway.events import LambdaContext


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
    """Runs the handler in this process, off the event loop, several at a time."""

    def __init__(self, handler_path: str, concurrency: int) -> None:
        self.handler = import_string(handler_path)
        self.limiter = anyio.CapacityLimiter(concurrency)

    async def invoke(self, event: dict[str, Any], context: LambdaContext, timeout: float) -> Any:
        try:
            with anyio.fail_after(timeout):
                # A timed-out thread cannot be killed; it is abandoned and finishes on its own.
                return await anyio.to_thread.run_sync(
                    _run,
                    self.handler,
                    event,
                    context,
                    limiter=self.limiter,
                    abandon_on_cancel=True,
                )
        except TimeoutError:
            raise InvocationTimeoutError from None

    async def aclose(self) -> None:
        return None


def _worker(handler_path: str, conn: Connection) -> None:
    """A worker process: one "Lambda instance" that imports the handler once (its cold start)."""
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
            worker = self.idle.pop() if self.idle else await anyio.to_thread.run_sync(self._start)
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
                raise InvocationTimeoutError from None
            except (EOFError, OSError) as exc:
                process.kill()
                raise InvocationError(f"the worker process died: {exc}") from exc
            self.idle.append(worker)
        if kind == "error":
            raise InvocationError(payload)
        return payload

    async def aclose(self) -> None:
        for process, conn in self.idle:
            conn.close()
            process.kill()
        self.idle.clear()
