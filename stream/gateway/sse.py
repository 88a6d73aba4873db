"""A Server-Sent Events response that notices a client hanging up while nothing is being sent.

Starlette's ``StreamingResponse`` under ASGI 2.4 servers (uvicorn) learns of a disconnect only when
a write fails, so a client of a quiet match would hold its reader and Redis connection until the
next output. This one also listens for ``http.disconnect`` and then stops the stream.
"""

from __future__ import annotations

import asyncio

from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

__all__ = ["EventStreamResponse"]


class EventStreamResponse(StreamingResponse):
    media_type = "text/event-stream"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        streaming = asyncio.create_task(self.stream_response(send))
        gone = asyncio.create_task(self.listen_for_disconnect(receive))
        try:
            await asyncio.wait({streaming, gone}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (streaming, gone):
                task.cancel()
            results = await asyncio.gather(streaming, gone, return_exceptions=True)
        failure = results[0]
        if isinstance(failure, Exception) and not isinstance(failure, OSError):
            raise failure  # a bug in the stream, not the client leaving
