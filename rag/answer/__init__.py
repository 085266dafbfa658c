"""Answers with verified sentence-level citations: evidence, support checks, answerers' shared parts."""
