"""Loading documents, splitting sentences with exact offsets, chunking and idempotent upserts."""
