"""Loaders: files and folders in, Articles (or Skipped with a reason) out."""

from rag.loaders.inputs import SUPPORTED_EXTENSIONS, count_inputs, iter_inputs, list_files, load_file

__all__ = ["SUPPORTED_EXTENSIONS", "count_inputs", "iter_inputs", "list_files", "load_file"]
