"""Files in, documents out: readers per format, cleaning, passages and footnotes.

This package imports no Flask, Whoosh, spaCy or SQLAlchemy.
"""

from .models import Document, Footnote, FootnoteMark, Passage, ReadError, Reference
from .reader import SUPPORTED_SUFFIXES, UnsupportedFormat, iter_files, make_doc_id, read_document

__all__ = [
    "Document",
    "Footnote",
    "FootnoteMark",
    "Passage",
    "ReadError",
    "Reference",
    "SUPPORTED_SUFFIXES",
    "UnsupportedFormat",
    "iter_files",
    "make_doc_id",
    "read_document",
]
