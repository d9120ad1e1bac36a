"""Sentences and chunks of ingested documents in Chroma, their BM25 index, embeddings and kept texts."""
