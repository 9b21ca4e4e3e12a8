"""The WSGI entry point (gunicorn ``wsgi:app``; the flask command loads it too)."""

from credit_service.files import restrict_umask
from credit_service.web import create_app

restrict_umask()  # what this process writes is for the service's user only
app = create_app()
