"""alliance-qa: cited answers about documents, from retrieval to grounding."""
