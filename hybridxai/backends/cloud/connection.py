"""What the remote backends share: credentials found locally, secrets kept out, errors translated.

Both the D-Wave ("dwave", "leap-hybrid") and the IBM Quantum ("ibm-runtime") samplers

* look their account up locally, before any network call, and fail with a
  :class:`~hybridxai.exceptions.ConfigurationError` that says how to configure one
  (:class:`Credentials`, one subclass per service);
* never print a token: known secrets and token-shaped strings become ``***`` in every message
  (:func:`redact`, :func:`describe_error`);
* turn the SDKs' exceptions into :class:`~hybridxai.exceptions.ConfigurationError` (account
  problems) and :class:`~hybridxai.exceptions.ServiceUnavailableError` (network problems), without
  the SDK's traceback (:meth:`Credentials.translated`);
* release their client with ``close()``, or at the end of a ``with`` block
  (:class:`RemoteSampler`).

Example:
    >>> redact("token DEV-0123456789abcdef0123456789abcdef01234567 was rejected", (), LEAP_TOKEN)
    'token *** was rejected'
"""

from __future__ import annotations

import abc
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any, ClassVar

from hybridxai.exceptions import (
    ConfigurationError,
    InvalidTypeError,
    ServiceUnavailableError,
    invalid_argument,
)

__all__ = [
    "Credentials",
    "RemoteSampler",
    "redact",
    "describe_error",
    "root_cause",
    "is_network_error",
    "LEAP_TOKEN",
    "LONG_KEY",
    "NETWORK_ERRORS",
]

LEAP_TOKEN = re.compile(r"\b[A-Za-z0-9]{2,8}-[0-9a-fA-F]{32,}\b")
"""A Leap API token: a short prefix and 40 hex digits (``"DEV-0123…"``)."""

LONG_KEY = re.compile(r"[A-Za-z0-9_\-]{40,}")
"""Any long key-like string (IBM Quantum API keys)."""

NETWORK_ERRORS: tuple[type[BaseException], ...] = (ConnectionError, TimeoutError, socket.gaierror)
"""Standard-library exceptions that mean "the service cannot be reached"."""


def redact(text: str, secrets: tuple[str | None, ...] = (), pattern: re.Pattern[str] | None = None) -> str:
    """Replace the known ``secrets``, and anything matching ``pattern``, by ``***``.

    Args:
        text: A message.
        secrets: Tokens known to this session (``None`` entries are skipped).
        pattern: What a token of the service looks like (e.g. :data:`LEAP_TOKEN`).

    Returns:
        The message without secrets.
    """
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return pattern.sub("***", text) if pattern is not None else text


def root_cause(exc: BaseException) -> BaseException:
    """The innermost exception of ``exc``'s ``__cause__``/``__context__`` chain (e.g. the DNS failure)."""
    root, seen = exc, {id(exc)}
    while (nxt := root.__cause__ or root.__context__) is not None and id(nxt) not in seen:
        seen.add(id(nxt))
        root = nxt
    return root


def describe_error(exc: BaseException, secrets: tuple[str | None, ...] = (),
                   pattern: re.Pattern[str] | None = None, limit: int = 300) -> str:
    """``Type: message`` of ``exc`` and of its root cause, without secrets, at most ``limit`` characters.

    Example:
        >>> describe_error(ValueError("bad key abc"), ("abc",))
        'ValueError: bad key ***'
    """
    text = f"{type(exc).__name__}: {exc}"
    root = root_cause(exc)
    if root is not exc:
        text += f"; caused by {type(root).__name__}: {root}"
    text = redact(text, secrets, pattern)  # before shortening, so no token is cut in half and kept
    return text if len(text) <= limit else text[: limit - 3] + "..."


def is_network_error(exc: BaseException, types: tuple[type[BaseException], ...] = ()) -> bool:
    """Tell whether ``exc`` or an exception it was raised from is a network failure.

    Args:
        exc: The exception.
        types: The SDK's own network exceptions (e.g. ``requests.ConnectionError``), on top of
            :data:`NETWORK_ERRORS`.
    """
    node: BaseException | None = exc
    seen: set[int] = set()
    while node is not None and id(node) not in seen:
        seen.add(id(node))
        if isinstance(node, NETWORK_ERRORS + types):
            return True
        node = node.__cause__ or node.__context__
    return False


class Credentials(abc.ABC):
    """An account of a remote service: the token given, the one found, and error translation.

    A subclass sets the class attributes, implements :meth:`lookup` (local: files and
    environment, no network) and :meth:`translate`.

    Args:
        token: The token passed by the user (``None``: look it up).
        connect_timeout: Seconds to wait for a TCP connection to the service.
    """

    service_name: ClassVar[str]
    """The service's name in messages (``"Leap"``)."""
    token_variable: ClassVar[str]
    """The environment variable holding the token (``"DWAVE_API_TOKEN"``)."""
    token_pattern: ClassVar[re.Pattern[str] | None] = None
    """What a token looks like, to redact unknown ones too."""

    def __init__(self, *, token: str | None, connect_timeout: float) -> None:
        if token is not None and not isinstance(token, str):
            # the value itself is never printed (it may be a secret), only its type
            raise InvalidTypeError(
                f"token must be a string (your {self.service_name} API token), got {type(token).__name__} "
                f"(value hidden). Fix: pass token='...' or set {self.token_variable}."
            )
        if isinstance(connect_timeout, bool) or not (isinstance(connect_timeout, (int, float))
                                                     and connect_timeout > 0):
            raise invalid_argument("connect_timeout", connect_timeout, "must be a positive number",
                                   "pass e.g. connect_timeout=5")
        self.token = token
        self.connect_timeout = float(connect_timeout)
        self.found_token: str | None = None

    @property
    def secrets(self) -> tuple[str | None, ...]:
        """The tokens to keep out of every message."""
        return (self.token, self.found_token)

    def redact(self, text: str) -> str:
        """``text`` without this account's secrets or token-shaped strings."""
        return redact(text, self.secrets, self.token_pattern)

    def describe(self, exc: BaseException) -> str:
        """``exc`` and its root cause, in one short line without secrets."""
        return describe_error(exc, self.secrets, self.token_pattern)

    @abc.abstractmethod
    def lookup(self, what: str) -> Any:
        """Find the account locally (no network); raise ConfigurationError if there is none."""

    @abc.abstractmethod
    def translate(self, exc: BaseException, what: str) -> BaseException:
        """The hybridxai error for an SDK exception, or ``exc`` itself to re-raise it unchanged."""

    @contextmanager
    def translated(self, what: str) -> Iterator[None]:
        """Translate SDK errors raised inside the block (no traceback soup, no token leak).

        Args:
            what: Who failed, for the message (``"backend 'dwave'"``).
        """
        try:
            yield
        except (ConfigurationError, ServiceUnavailableError):
            raise
        except Exception as exc:
            translated = self.translate(exc, what)
            if translated is exc:
                raise
            raise translated from None


class RemoteSampler:
    """Mixin of the samplers that hold a connection: ``close()`` and ``with`` support.

    Example:
        >>> class Session(RemoteSampler):
        ...     def _release(self):
        ...         print("closed")
        >>> with Session():
        ...     pass
        closed
    """

    def close(self) -> None:
        """Release the connection this sampler opened (a client given by the user stays open)."""
        self._release()

    def _release(self) -> None:
        """Close what this sampler opened; the next use opens it again."""

    def __enter__(self) -> Any:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()
