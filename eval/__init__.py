"""Gold questions, metrics, benchmarks and reports."""
