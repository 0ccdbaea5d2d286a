"""A Flask test client whose responses are read in full and closed at once."""

from __future__ import annotations

from flask.testing import FlaskClient


class BufferedClient(FlaskClient):
    """Buffers every response, which closes its body (a static file's handle, say) at once;
    Flask's client otherwise leaves that to the test, and an unread response leaks the file
    (a ResourceWarning, an error under filterwarnings = error)."""

    def open(self, *args, **kwargs):
        """Like FlaskClient.open, with ``buffered=True`` unless the test asks otherwise."""
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)
