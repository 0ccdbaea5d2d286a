"""The JSON API (mounted at /api): one blueprint per module (documents, annotations),
registered by ``webui.app``, and the OpenAPI description built by :mod:`webui.api.openapi`."""
