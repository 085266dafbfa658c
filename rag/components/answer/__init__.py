"""The Haystack components of answers: the evidence gate, the answerers (reader, extractive), the LLM
prompt builder, the prefilled local generator and the verifier of an LLM's claims."""
