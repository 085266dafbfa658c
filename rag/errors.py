"""User-facing errors. Raised deep, converted at the edge (CLI/API/UI) into a message.

Every error names the bad value and, where there is one, the fix.
"""

from __future__ import annotations

#: Secret values (API keys, tokens) of the loaded settings: never shown in an error message.
_SECRETS: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a secret so that :func:`redact` hides it (called when settings are loaded)."""
    if value and len(value) >= 4:
        _SECRETS.add(value)


def redact(text: str) -> str:
    """``text`` with every registered secret replaced (e.g. an endpoint quoting a rejected key back)."""
    for secret in sorted(_SECRETS, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, "***")
    return text


class RagError(Exception):
    """Base class: ``str(err)`` is a complete message for the user (secrets redacted)."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        message = redact(message)
        hint = redact(hint) if hint is not None else None
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  fix: {self.hint}" if self.hint else self.message


class InputFileError(RagError):
    """A file (or one line of it) cannot be ingested."""

    def __init__(self, path: str, problem: str, *, line: int | None = None, hint: str | None = None) -> None:
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {problem}", hint=hint)
        self.path = path
        self.problem = problem
        self.line = line


class ConfigError(RagError):
    """A setting has a value that cannot work."""


class ModelError(RagError):
    """An embedding model cannot be built, found or verified."""


class IndexStoreError(RagError):
    """The index cannot be opened or does not match the settings."""


class IndexLockedError(IndexStoreError):
    """Another process holds the embedded index open for writing."""


class Cancelled(RagError):
    """The caller went away (a closed stream): the answer is no longer wanted."""


def cancelled_in(err: BaseException | None) -> Cancelled | None:
    """The :class:`Cancelled` behind ``err`` (raised by a stream's token callback), through the pipeline's
    and the HTTP client's wrappers."""
    for _ in range(10):
        if err is None or isinstance(err, Cancelled):
            return err
        err = err.__cause__ or err.__context__
    return None


class BusyError(RagError):
    """Too many answers wait for the local LLM: try again shortly."""


class LLMError(RagError):
    """The language model backend failed (unreachable endpoint, timeout, unusable reply)."""

    @classmethod
    def from_backend(cls, kind: str, base_url: str | None, err: BaseException) -> LLMError:
        while err.__cause__ is not None and type(err).__name__ == "PipelineRuntimeError":
            err = err.__cause__  # the component's own error, not the pipeline's wrapper
        name = type(err).__name__
        if kind == "openai":
            where = base_url or "the configured endpoint"
            if "Connection" in name or "Timeout" in name:
                return cls(
                    f"the LLM endpoint {where} is unreachable ({name})",
                    hint="start the server or fix RAG_LLM_BASE_URL, or answer without it: --answerer extractive",
                )
            return cls(f"the LLM endpoint {where} failed: {name}: {err}", hint="check the server's log and model name")
        return cls(f"the local LLM failed: {name}: {err}", hint="try --answerer extractive")
