"""The REST API: a thin FastAPI shell over :class:`rag.service.Service`."""
