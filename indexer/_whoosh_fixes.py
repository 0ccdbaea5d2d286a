"""A targeted speed fix for whoosh-reloaded 2.7.5, applied on import.

``W3PerDocReader._cached_reader`` caches column readers but not their absence, so for every
posting of a field without a lengths column (ID, NUMERIC, unscored KEYWORD, spelling fields)
it stats the segment's column file again; committing a segment then spends a large share
of its time in ``os.stat``. Caching the absence too is safe: a segment's columns never
change once written.
"""

from __future__ import annotations

from whoosh.codec import whoosh3

_original = whoosh3.W3PerDocReader._cached_reader


def _cached_reader(self, fieldname, column):  # type: ignore[no-untyped-def]
    if fieldname in self._readers:
        return self._readers[fieldname]
    reader = _original(self, fieldname, column)
    self._readers[fieldname] = reader
    return reader


if not getattr(whoosh3.W3PerDocReader._cached_reader, "_glossa_fixed", False):
    _cached_reader._glossa_fixed = True  # type: ignore[attr-defined]
    whoosh3.W3PerDocReader._cached_reader = _cached_reader
