"""Words and sentences: the text features grounding and retrieval share, and sentence splitting with offsets."""
