"""python -m credit_service.simulator --port 8700 --app-key K --secret S"""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path
from urllib.parse import urlsplit

from werkzeug.serving import run_simple

from credit_service.simulator.app import create_simulator
from credit_service.sync.platforms import load_platforms


def main() -> None:
    parser = argparse.ArgumentParser(description="Simulated provincial credit platform")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8700)
    parser.add_argument("--app-key", default=os.environ.get("SIM_APP_KEY", "xuancheng"))
    parser.add_argument("--secret", default=os.environ.get("SIM_SECRET"))
    parser.add_argument("--platforms-file", help="take key, secret and port from this file")
    parser.add_argument("--platform", default="anhui")
    args = parser.parse_args()
    if args.platforms_file:
        platform = load_platforms(Path(args.platforms_file))[args.platform]
        args.app_key, args.secret = platform.app_key, platform.secret
        args.port = urlsplit(platform.base_url).port or args.port
    if not args.secret:
        parser.error("--secret (or SIM_SECRET, or --platforms-file) is required")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app = create_simulator(app_key=args.app_key, secret=args.secret)
    run_simple(args.host, args.port, app, threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()
