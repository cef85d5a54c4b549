"""
``python -m aioec2.testing serve``: run a FakeEC2 until SIGINT or SIGTERM.

It prints the endpoint URL on the first line (``FakeEC2 serving on http://...``) and then,
unless ``--anonymous``, the generated credentials as environment variable assignments that
aioec2, boto3 and the AWS CLI all read.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence

from aioec2.credentials import Credentials
from aioec2.testing._server import FakeEC2

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m aioec2.testing", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve a FakeEC2 until interrupted")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=0, help="port (default: any free one)")
    serve.add_argument("--region", default="us-east-1")
    serve.add_argument("--boot-time", type=float, default=0.5, help="pending -> running, s")
    serve.add_argument("--stop-time", type=float, default=0.5, help="stopping -> stopped, s")
    serve.add_argument(
        "--terminate-time", type=float, default=0.5, help="shutting-down -> terminated, s"
    )
    serve.add_argument("--terminated-ttl", type=float, default=3600.0)
    serve.add_argument("--consistency-lag", type=float, default=0.0)
    serve.add_argument("--capacity", type=int, default=None)
    serve.add_argument("--throttle", action="store_true", help="apply EC2's request limits")
    serve.add_argument("--fault-rate", type=float, default=0.0)
    serve.add_argument("--seed", type=int, default=None)
    auth = serve.add_mutually_exclusive_group()
    auth.add_argument("--anonymous", action="store_true", help="accept any request, signed or not")
    auth.add_argument("--access-key-id", help="with --secret-access-key: the credentials to accept")
    serve.add_argument("--secret-access-key")
    return parser


async def _serve(args: argparse.Namespace) -> None:
    credentials: Credentials | bool | None = None if args.anonymous else True
    if args.access_key_id:
        credentials = Credentials(args.access_key_id, args.secret_access_key or "")
    fake = FakeEC2(
        host=args.host,
        port=args.port,
        region=args.region,
        boot_time=args.boot_time,
        stop_time=args.stop_time,
        terminate_time=args.terminate_time,
        terminated_ttl=args.terminated_ttl,
        consistency_lag=args.consistency_lag,
        capacity=args.capacity,
        throttle=args.throttle,
        fault_rate=args.fault_rate,
        seed=args.seed,
        credentials=credentials,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with fake:
        print(f"FakeEC2 serving on {fake.url}", flush=True)
        print(f"AWS_ENDPOINT_URL_EC2={fake.url}")
        print(f"AWS_REGION={fake.region}")
        if fake.credentials is not None:
            # A fake's made-up keys: printing them is the point of this command.
            print(f"AWS_ACCESS_KEY_ID={fake.credentials.access_key_id}")
            print(f"AWS_SECRET_ACCESS_KEY={fake.credentials.secret_access_key}")
        print("Stop with Ctrl-C.", flush=True)
        await stop.wait()
    print("FakeEC2 stopped.", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    if args.access_key_id and not args.secret_access_key:
        print("--access-key-id needs --secret-access-key", file=sys.stderr)
        return 2
    asyncio.run(_serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
