"""The Gradio UI for researchers: a thin shell over :mod:`rag`, mounted into `rag serve`."""
