"""Entity tagging, the Whoosh passage index, the document store, search and ingest.

Import the submodules you need (``indexer.search``, ``indexer.pipeline``, ``indexer.store``,
``indexer.ner``, ``indexer.writer``); this package module imports nothing heavy itself so
that opening a Searcher does not load spaCy.
"""
