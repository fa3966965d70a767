"""Guidance corpus, site documents and hybrid retrieval (BM25 + dense vectors, fused) with citations."""
