"""The Gradio chat UI: renders what ``Pipeline.answer`` returns."""
