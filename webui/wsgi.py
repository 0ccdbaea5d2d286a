"""The WSGI entry point for deployers: ``webui.wsgi:app``.

The app is built from the settings (``GLOSSA_DATA``, other ``GLOSSA_*`` variables, the
instance file ``glossa.cfg``) and its database migrated when this module is imported,
before any request is served. A setting that cannot be used stops the import with a
message saying which one. Examples::

    GLOSSA_DATA=/srv/glossa waitress-serve --threads 8 --listen 127.0.0.1:8000 webui.wsgi:app
    GLOSSA_DATA=/srv/glossa gunicorn --preload --workers 2 --threads 8 --bind 127.0.0.1:8000 webui.wsgi:app

``glossa serve`` does the same itself (settings WORKERS and THREADS). With several worker
processes, build the app once before they fork (gunicorn ``--preload``): the sign-in
backoff counts are then shared by every worker (webui.limits), and pages of the search
caches built before the fork are shared too. Without ``--preload`` each worker has its
own counts and caches. Requests must name a trusted host (TRUSTED_HOSTS; by default
localhost and the BASE_URL host).
"""

from __future__ import annotations

from .server import build_app

app = build_app()
