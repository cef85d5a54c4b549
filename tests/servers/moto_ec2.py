"""
Run moto's EC2 backend alone on a free loopback port and print ``PORT <n>`` when ready.

moto_server's default dispatcher picks a backend from the Host header and the signature's
credential scope; unsigned and SigV2 requests land in S3. Serving only the EC2 app makes
every request EC2's, whatever its signer.
"""

from __future__ import annotations

import logging
import signal
import sys

from moto.moto_server.werkzeug_app import create_backend_app
from werkzeug.serving import make_server


def main() -> None:
    """Serve moto's EC2 app on 127.0.0.1:0 until SIGTERM."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log on our stderr
    app = create_backend_app("ec2")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"PORT {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
