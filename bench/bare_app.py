"""The smallest ASGI app: what uvicorn and the load client reach with no application work,
served the way `monitor serve` serves the monitor.

    python -m bench.bare_app --port 8001 --workers 2
"""

import argparse

from app.server import serve


async def app(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] != "http":
        return
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": b'{"status":"ok"}'})


def create_app():  # type: ignore[no-untyped-def]
    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    serve("127.0.0.1", args.port, args.workers, app="bench.bare_app:create_app")
