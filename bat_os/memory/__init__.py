"""Semantic memory: the knowledge catalog, found by words and by meaning.

``catalog``       chunks in BTrees, the text index (BM25), metadata filters, the change log (persistent)
``chunking``      sentences and semantic chunks
``embedder``      all-MiniLM-L6-v2, loaded lazily (sentence-transformers costs seconds to import)
``vector_index``  one contiguous float32 matrix in memory, kept in step with the catalog
``service``       Memory: embedding on a worker thread, hybrid search, the seam the cycle uses
``conversations`` episodes of ``ask`` in the catalog, and a conversation's last turns read back from them

May import: ``errors``, ``image`` (objects). Never ``kernel``, ``cognition``, ``cli``.
"""
