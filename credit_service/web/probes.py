"""The liveness probe (``GET /healthz``): what it is spared, and why.

A load balancer asks every few seconds whether a worker is alive; the answer is a
constant from memory. Everything a request is otherwise given would cost more than the
answer and say nothing: it is not rate-limited (``ratelimit``: a count in the shared
storage, and probes sharing a window with the clients behind the balancer would take a
healthy worker out), it gets no request id and no access line (``request_log``: a probe
a second would bury the log) and it is not counted in ``/metrics`` (the balancer's own
metrics count its probes). gunicorn's own access log, where one is configured, still
lists it. The readiness probe (``/readyz``) reads the database and gets all of them.
"""

from __future__ import annotations

LIVENESS_PATH = "/healthz"
LIVENESS_ENDPOINT = "health.Liveness"
