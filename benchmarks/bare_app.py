"""The framework limit for the serving benchmarks: a bare Flask app with one constant
route, served by the same gunicorn settings as the service (``bare_app:app``)."""

from flask import Flask

app = Flask(__name__)


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}
