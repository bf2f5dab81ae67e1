"""Gathering concurrent HTTP requests into backend batches.

Requests arriving within ``window_s`` of the first one (or while the backend is busy with the
previous batch) are handed to ``Backend.generate`` together, on one worker thread, so a
runner step that fires hundreds of requests at once is decoded as one batch. If a batch fails,
each of its requests is run again on its own, so one request the backend cannot serve fails
alone and the others of its batch are still answered.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
from collections.abc import Callable
from typing import Any, TypeVar

from agora.llm.base import Backend
from agora.llm.types import Completion, GenerationRequest

T = TypeVar("T")


class MicroBatcher:
    """An asyncio queue drained into ``backend.generate`` batches on a worker thread."""

    def __init__(self, backend: Backend, *, window_s: float = 0.005, max_batch: int = 256) -> None:
        if window_s < 0:
            raise ValueError(f"window_s must be >= 0, got {window_s}")
        if max_batch < 1:
            raise ValueError(f"max_batch must be >= 1, got {max_batch}")
        self.backend, self.window_s, self.max_batch = backend, window_s, max_batch
        self._queue: asyncio.Queue[tuple[GenerationRequest, asyncio.Future[Completion]]] = (
            asyncio.Queue())
        self._worker = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="agora-llm")
        self._task: asyncio.Task[None] | None = None
        self.batches = 0
        """Backend batches run so far."""

    def start(self) -> None:
        """Start draining the queue (call from the event loop)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        """Stop draining and fail pending requests."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        while not self._queue.empty():
            _, fut = self._queue.get_nowait()
            if not fut.done():
                fut.set_exception(RuntimeError("server is shutting down"))
        self._worker.shutdown(wait=True)

    async def generate(self, request: GenerationRequest) -> Completion:
        """Queue one request and wait for its completion."""
        fut: asyncio.Future[Completion] = asyncio.get_running_loop().create_future()
        await self._queue.put((request, fut))
        return await fut

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on the backend's worker thread (serialised with generation)."""
        return await asyncio.get_running_loop().run_in_executor(self._worker, fn, *args)

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self._queue.get()]
            deadline = loop.time() + self.window_s
            while len(batch) < self.max_batch:
                if not self._queue.empty():
                    batch.append(self._queue.get_nowait())
                    continue
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                try:
                    batch.append(await asyncio.wait_for(self._queue.get(), remaining))
                except TimeoutError:
                    break
            live = [(r, f) for r, f in batch if not f.cancelled()]
            if not live:
                continue
            await self._run(live)

    async def _run(self, live: list[tuple[GenerationRequest, asyncio.Future[Completion]]]) -> None:
        """Generate one batch; after a failure, retry each request alone to isolate the cause."""
        self.batches += 1
        try:
            results = await self.call(self.backend.generate, [r for r, _ in live])
        except Exception as exc:
            if len(live) == 1:
                if not live[0][1].done():
                    live[0][1].set_exception(exc)
                return
            for item in live:
                if not item[1].cancelled():
                    await self._run([item])
            return
        for (_, fut), res in zip(live, results, strict=True):
            if not fut.done():
                fut.set_result(res)
