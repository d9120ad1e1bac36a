"""The Gradio chat: rendering (pure functions), the handlers that call the pipeline, and its static files."""
