"""The local LLM's own process: the packaged GGUF model (``gguf.py``), the llama.cpp build that fits
this CPU (``cpu.py``), the supervised child process (``supervisor.py``, ``worker.py``) and its
streamed replies (``stream.py``). The answerers' side of it (chat generators, prompts) is in
:mod:`rag.answer`."""
