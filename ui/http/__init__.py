"""The HTTP API: answers (plain, streamed, OpenAI-compatible), documents and collections, access control."""
