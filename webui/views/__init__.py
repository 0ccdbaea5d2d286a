"""The HTML pages: one blueprint per module (search, reader, catalog), registered by
``webui.app``; helpers they share live in :mod:`webui.views.helpers`."""
