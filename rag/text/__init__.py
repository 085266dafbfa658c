"""Text processing: sentence splitting and chunking with exact character spans."""
