"""gunicorn's logger class (``gunicorn_conf.logger_class``): its logs as the service's.

- No resident ID number: its error and access logs get the service's masking filter,
  and the request line, path, query and referrer of an access line are masked.
- ``LOG_FORMAT=json`` (the default): its error log and access log write JSON lines like
  the service's (``credit_service.json_logs``); an access line holds the request's id
  (the answer's ``X-Request-ID``) and the endpoint that answered (``request_log``), so it
  joins the app's own lines. ``LOG_FORMAT=text``: gunicorn's formats, masked.
"""

from __future__ import annotations

from typing import Any

from gunicorn import glogging

from credit_service import json_logs, logmask, request_ids
from credit_service.config import Settings
from credit_service.web.request_log import ENDPOINT

RESPONSE_ID = f"{{{request_ids.HEADER.lower()}}}o"  # the atom of the answer's header


class GunicornLogger(glogging.Logger):
    MASKED_ATOMS = ("r", "U", "q", "f", "{referer}i")

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        settings = Settings.from_env()
        self.json = settings.log_format == "json"
        for log in (self.error_log, self.access_log):
            logmask.install(log)
            if self.json:
                for handler in log.handlers:
                    handler.setFormatter(json_logs.JsonFormatter())

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> Any:
        atoms = super().atoms(resp, req, environ, request_time)
        for key in self.MASKED_ATOMS:
            if isinstance(atoms.get(key), str):
                atoms[key] = logmask.mask_resident_ids(atoms[key])
        return atoms

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        """The access line: gunicorn's format, or in JSON its fields by name."""
        if not self.json:
            super().access(resp, req, environ, request_time)
            return
        if not self.access_log_enabled:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        fields = {
            "request_id": atoms.get(RESPONSE_ID),
            "method": atoms["m"],
            "path": atoms["U"],
            "query": atoms["q"],
            "endpoint": environ.get(ENDPOINT),
            "status": int(atoms["s"]),
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
            "bytes": atoms["B"],
            "remote_addr": atoms["h"],
            "user_agent": atoms["a"],
            "referer": atoms["f"],
        }
        self.access_log.info("%s", atoms["r"], extra={json_logs.ACCESS: fields})
