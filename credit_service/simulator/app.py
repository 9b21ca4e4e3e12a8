"""The simulated provincial credit platform: the exchange protocol over real HTTP, with
switchable faults. A separate program (python -m credit_service.simulator) for the demo
and the tests; it shares only the protocol modules with the service."""

from __future__ import annotations

import json
import socket
import time
from dataclasses import fields
from datetime import date
from typing import Any

from flask import Flask, Response, jsonify, request

from credit_service.simulator.state import Faults, PlatformState
from credit_service.sync import signing


def create_simulator(*, app_key: str, secret: str, state: PlatformState | None = None) -> Flask:
    """The platform's app; ``state`` is reachable as app.extensions['platform']."""
    app = Flask("credit_service.simulator")
    platform = state or PlatformState()
    app.extensions["platform"] = platform

    @app.before_request
    def misbehave() -> Response | None:
        if not request.path.startswith("/exchange/"):
            return None
        platform.requests[request.path] += 1
        return _faults(platform) or _authenticate(platform, app_key, secret)

    @app.post("/exchange/v1/events")
    def receive_events() -> Response:
        body = request.get_json(silent=True) or {}
        if not isinstance(body.get("events"), list) or not body.get("batch_id"):
            return _error(400, "a batch needs batch_id and events")
        if isinstance(body.get("audit_checkpoint"), dict):
            with platform.lock:  # kept as a witness: the service's DBA cannot reach it
                platform.audit_checkpoints.append(body["audit_checkpoint"])
        return jsonify(
            batch_id=body["batch_id"],
            results=platform.receive(str(body["batch_id"]), body["events"]),
        )

    @app.get("/exchange/v1/changes")
    def serve_changes() -> Response:
        limit = request.args.get("limit", "200")
        if not limit.isdigit() or not 1 <= int(limit) <= 1000:
            return _error(400, "limit must be a whole number from 1 to 1000")
        try:
            return jsonify(platform.page(request.args.get("cursor"), int(limit)))
        except (ValueError, TypeError):
            return _error(400, "bad cursor")

    @app.get("/exchange/v1/reconciliation")
    def reconciliation() -> Response:
        try:
            day = date.fromisoformat(request.args.get("date", ""))
        except ValueError:
            return _error(400, "date must be YYYY-MM-DD")
        return jsonify(platform.day(day))

    _control_routes(app, platform)
    return app


def _faults(platform: PlatformState) -> Response | None:
    faults = platform.faults
    if faults.latency_ms:
        time.sleep(faults.latency_ms / 1000)
    if time.time() < faults.outage_until:
        retry = str(faults.retry_after_seconds or int(faults.outage_until - time.time()) + 1)
        return _error(503, "platform outage", {"Retry-After": retry})
    if platform.roll(faults.drop_rate):
        _drop_connection()
    if platform.roll(faults.timeout_rate):
        time.sleep(faults.timeout_seconds)
    if platform.roll(faults.error_rate):
        return _error(502 if platform.roll(0.5) else 500, "simulated server error")
    return None


def _drop_connection() -> None:
    """Close the client's connection without an answer (a dropped connection)."""
    connection = request.environ.get("werkzeug.socket")
    if connection is not None:
        connection.shutdown(socket.SHUT_RDWR)
        connection.close()
    raise ConnectionAbortedError("simulated drop")


def _authenticate(platform: PlatformState, app_key: str, secret: str) -> Response | None:
    headers = {k: v for k, v in request.headers.items()}
    if headers.get(signing.HEADER_KEY) != app_key:
        return _error(401, "unknown app key")
    problem = signing.verify(
        secret, request.method, request.path, request.args.to_dict(), request.get_data(), headers
    )
    if problem is None and platform.roll(platform.faults.bad_signature_rate):
        problem = "bad signature (simulated)"
    if problem is None and not platform.nonce_fresh(
        headers[signing.HEADER_NONCE], signing.MAX_SKEW_SECONDS * 2
    ):
        problem = "replayed nonce"
    return _error(401, problem) if problem else None


def _control_routes(app: Flask, platform: PlatformState) -> None:
    """Unsigned control endpoints for tests and the demo (loopback only)."""

    @app.post("/sim/faults")
    def set_faults() -> Response:
        names = {f.name for f in fields(Faults)}
        body = {k: v for k, v in (request.get_json(silent=True) or {}).items() if k in names}
        platform.faults = Faults(**body)
        return jsonify(platform.faults.__dict__)

    @app.post("/sim/changes")
    def add_changes() -> Response:
        changes = request.get_json(silent=True) or []
        return jsonify(total=platform.add_changes(list(changes)))

    @app.post("/sim/objections")
    def forward_objections() -> Response:
        """Queue objections to forward (one or a list): served as changes of kind
        ``objection``; answers to them are matched by ``platform_ref``."""
        body = request.get_json(silent=True) or []
        items = [body] if isinstance(body, dict) else list(body)
        change_ids = platform.forward_objections([i for i in items if isinstance(i, dict)])
        return jsonify(change_ids=change_ids, total=len(platform.changes))

    @app.get("/sim/objections")
    def objections() -> Response:
        """The forwarded objections with the city's answers and which came late; with
        ``?today=YYYY-MM-DD`` also those whose deadline passed unanswered."""
        try:
            today = date.fromisoformat(request.args["today"]) if "today" in request.args else None
        except ValueError:
            return _error(400, "today must be YYYY-MM-DD")
        return jsonify(platform.objection_report(today))

    @app.get("/sim/stats")
    def stats() -> Response:
        return jsonify(platform.stats())

    @app.get("/sim/audit-checkpoints")
    def audit_checkpoints() -> Response:
        """The signed audit checkpoints received with the pushes, as JSON lines (what
        ``flask audit verify --checkpoints`` reads)."""
        with platform.lock:
            lines = [json.dumps(c, ensure_ascii=False) for c in platform.audit_checkpoints]
        return Response("".join(line + "\n" for line in lines), mimetype="application/jsonl")

    @app.get("/sim/events")
    def events() -> Response:
        with platform.lock:
            return jsonify(sorted(platform.received))


def _error(status: int, detail: str, headers: dict[str, Any] | None = None) -> Response:
    body = json.dumps({"status": status, "detail": detail}, ensure_ascii=False)
    return Response(body, status=status, mimetype="application/problem+json", headers=headers or {})
