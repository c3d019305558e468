"""The error hierarchy. Every user-facing error says what was wrong and what to do.

Errors subclass a matching built-in as well (scikit-learn's habit), so callers can catch either.
``status`` is the HTTP status the API answers with; the CLI prints ``str(error)`` and exits with
``exit_code``, never a traceback.
"""

from __future__ import annotations

from typing import Any


class ShopmindError(Exception):
    """Base of every error shopmind raises on purpose."""

    status: int = 400
    exit_code: int = 1

    def __init__(self, message: str, *, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or []


class InvalidParameterError(ShopmindError, ValueError):
    """A parameter is out of its allowed range or of the wrong type."""

    status = 422
    exit_code = 2


class ValidationError(ShopmindError, ValueError):
    """Input data failed validation; ``errors`` lists each problem."""

    status = 422
    exit_code = 2


class NotFoundError(ShopmindError, LookupError):
    """The shop, record or model asked for does not exist (in this shop)."""

    status = 404
    exit_code = 3


class ConflictError(ShopmindError, ValueError):
    """The request conflicts with what is stored (a duplicate, a revoked key)."""

    status = 409


class AuthenticationError(ShopmindError, PermissionError):
    """No valid credentials were given."""

    status = 401
    exit_code = 4


class PermissionDeniedError(ShopmindError, PermissionError):
    """The credentials are valid but their role may not do this."""

    status = 403
    exit_code = 4


class RateLimitedError(ShopmindError, RuntimeError):
    """Too many requests for one key; retry after ``retry_after`` seconds."""

    status = 429

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class NotFittedError(ShopmindError, ValueError):
    """A model was queried before ``fit``."""

    status = 409


class MissingDependencyError(ShopmindError, ImportError):
    """An optional package is needed; the message names the pip extra to install."""

    status = 501
    exit_code = 5


class MissingDatasetError(ShopmindError, RuntimeError):
    """A real dataset is not installed; the message gives the commands that install it."""

    exit_code = 5


class StoreError(ShopmindError, RuntimeError):
    """The database could not be opened or migrated."""

    status = 503
    exit_code = 6


def check_param(owner: str, name: str, value: Any, ok: bool, expected: str) -> None:
    """Raise the one parameter-error message template when ``ok`` is false.

    >>> check_param("ALS", "factors", 0, 0 >= 1, "an int >= 1")
    Traceback (most recent call last):
    ...
    shopmind.errors.InvalidParameterError: The 'factors' parameter of ALS must be an int >= 1. Got 0 instead.
    """
    if not ok:
        raise InvalidParameterError(
            f"The {name!r} parameter of {owner} must be {expected}. Got {value!r} instead."
        )


def require(package: str, extra: str, purpose: str) -> Any:
    """Import an optional package, or raise an error that says how to install it."""
    import importlib

    try:
        return importlib.import_module(package)
    except ImportError as exc:
        raise MissingDependencyError(
            f"{purpose} requires {package}. Install it with `pip install shopmind[{extra}]`."
        ) from exc
