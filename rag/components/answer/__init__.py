"""The Haystack components of answers: the evidence gate, the answerers (reader, extractive), the LLM
prompt builder and the verifier of an LLM's claims."""
