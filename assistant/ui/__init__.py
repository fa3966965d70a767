"""Gradio UI: Blocks per tab; no logic, only service calls and layout."""
