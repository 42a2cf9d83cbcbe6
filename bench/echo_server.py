"""The baseline: a bare ``websockets`` server with the host's transport settings.

``/ws`` echoes every frame back unchanged (the load generator takes an echoed
``submit`` as its ack and an echoed ``hello`` as its welcome); a frame sent on
``/ws/facilitator`` is passed unchanged to every ``/ws`` connection with
``websockets.broadcast``, exactly as the host fans out an activity change. No JSON
parsing, no validation, no disk: the cost of the transport alone.

    python -m bench.echo_server --port-file F   (writes {"port": N} once listening)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
from pathlib import Path

from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed

from bench.common import raise_fd_limit

PHONES: set[ServerConnection] = set()


async def handler(ws: ServerConnection) -> None:
    try:
        if ws.request.path.startswith("/ws/facilitator"):
            async for message in ws:
                broadcast(PHONES, message)
            return
        PHONES.add(ws)
        async for message in ws:
            await ws.send(message)
    except ConnectionClosed:
        pass
    finally:
        PHONES.discard(ws)


async def main(port_file: Path) -> None:
    raise_fd_limit()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    # The same options as facilitation_kit.host.server.ProtocolServer.start.
    async with serve(handler, "127.0.0.1", 0, max_size=1024 * 1024, max_queue=16, compression=None,
                     ping_interval=20, ping_timeout=20, server_header=None) as server:
        port = server.sockets[0].getsockname()[1]
        tmp = port_file.with_name(port_file.name + ".tmp")
        tmp.write_text(json.dumps({"port": port, "pid": os.getpid()}))
        os.replace(tmp, port_file)
        await stop.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port-file", type=Path, required=True)
    from facilitation_kit.host.loop import run  # the host's loop (FACILITATION_KIT_LOOP), for a fair baseline

    run(main(parser.parse_args().port_file))
