"""Candidate sentences for a question: dense, keyword and fused rankings, then the diverse few for the model."""
