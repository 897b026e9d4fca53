"""Errors a connector raises, split by what the caller should do about them.

``RetryableError`` means "the same request may succeed later" (429, 5xx, 408, transport
failures, timeouts); ``FatalError`` means "repeating it changes nothing" (other 4xx, auth that
fails even after a token refresh, a response that breaks the platform's contract). The retry
policy retries only the first kind, so the split is what keeps a bad request from being sent
five times and a flaky one from failing a job.

Every error carries the HTTP status, the operation name, a redacted one-line request summary
and the platform's error body *after redaction*: an error may be logged, stored as an outbox
``last_error`` or shown in the CLI, so it must never hold a secret or a buyer's personal data.
"""

from __future__ import annotations

from typing import ClassVar


class ConnectorError(Exception):
    """Base of every error raised by the connector layer."""

    retryable: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        operation: str | None = None,
        request: str | None = None,
        body: str | None = None,
        platform: str | None = None,
    ) -> None:
        self.message = message
        self.status = status
        self.operation = operation
        self.request = request  # redacted "METHOD url" summary
        self.body = body  # redacted, truncated platform error body
        self.platform = platform
        super().__init__(message)

    def add_context(
        self,
        *,
        operation: str | None = None,
        request: str | None = None,
        platform: str | None = None,
    ) -> None:
        """Fill in what the raiser did not know (the HTTP client knows the operation)."""
        self.operation = self.operation or operation
        self.request = self.request or request
        self.platform = self.platform or platform

    def __str__(self) -> str:
        where = " ".join(p for p in (self.platform, self.operation) if p)
        status = f"HTTP {self.status}" if self.status is not None else None
        head = ": ".join(p for p in (where, status) if p)
        text = f"{head}: {self.message}" if head else self.message
        if self.body:
            text += f" — {self.body}"
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, operation={self.operation!r}, "
            f"message={self.message!r})"
        )


class RetryableError(ConnectorError):
    """The same request may succeed later; ``retry_after`` is the platform's hint in seconds."""

    retryable: ClassVar[bool] = True
    #: True when the platform cannot have acted on the request (throttled, never connected),
    #: so even a non-idempotent call (create a fulfilment) may be repeated safely.
    safe_to_repeat: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        status: int | None = None,
        operation: str | None = None,
        request: str | None = None,
        body: str | None = None,
        platform: str | None = None,
    ) -> None:
        super().__init__(
            message,
            status=status,
            operation=operation,
            request=request,
            body=body,
            platform=platform,
        )
        self.retry_after = retry_after


class FatalError(ConnectorError):
    """Repeating the request changes nothing: fix the input, the credentials or the code."""


# --- retryable -------------------------------------------------------------------------------


class RateLimited(RetryableError):
    """HTTP 429 (or the platform's in-body throttling error): slow down and try again."""

    safe_to_repeat: ClassVar[bool] = True


class ServerError(RetryableError):
    """HTTP 5xx: the platform failed; it may or may not have acted on the request."""


class RequestTimeout(RetryableError):
    """HTTP 408: the platform gave up waiting for our request."""


class TransportFailure(RetryableError):
    """No HTTP answer at all: connection refused, reset, or a timeout on our side.
    ``reason`` says which, in words ("connection refused", "no answer within 10 s")."""

    reason: str | None = None


class ConnectFailure(TransportFailure):
    """The request never reached the platform (connect error/timeout, pool timeout)."""

    safe_to_repeat: ClassVar[bool] = True


# --- fatal -----------------------------------------------------------------------------------


class BadRequest(FatalError):
    """HTTP 400 / 422: the platform rejected what we sent."""


class Unauthorized(FatalError):
    """HTTP 401 even after refreshing the token: the credentials are wrong or revoked."""


class Forbidden(FatalError):
    """HTTP 403: the credentials lack a role, scope or restricted-data grant."""


class NotFoundError(FatalError):
    """HTTP 404: the order, listing or resource does not exist on the platform."""


class Conflict(FatalError):
    """HTTP 409: the resource already exists or changed under us (e.g. a duplicate fulfilment)."""


class UnexpectedStatus(FatalError):
    """Any other 4xx, or a status outside what the operation declares it returns."""


class ContractViolation(FatalError):
    """The platform answered something its published contract does not allow."""


_BY_STATUS: dict[int, type[ConnectorError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFoundError,
    408: RequestTimeout,
    409: Conflict,
    422: BadRequest,
    429: RateLimited,
}


def error_class_for_status(status: int) -> type[ConnectorError]:
    """The error class for a non-success HTTP status (5xx → ServerError, unknown 4xx → fatal)."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status >= 500:
        return ServerError
    return UnexpectedStatus


def error_for_status(
    status: int,
    *,
    operation: str | None = None,
    request: str | None = None,
    body: str | None = None,
    retry_after: float | None = None,
    platform: str | None = None,
) -> ConnectorError:
    """Build the error for ``status``; ``body`` must already be redacted."""
    cls = error_class_for_status(status)
    message = f"the platform answered {status}"
    if issubclass(cls, RetryableError):
        return cls(
            message,
            retry_after=retry_after,
            status=status,
            operation=operation,
            request=request,
            body=body,
            platform=platform,
        )
    return cls(
        message, status=status, operation=operation, request=request, body=body, platform=platform
    )


class WebhookRejected(FatalError):
    """A webhook whose signature, timestamp or shape does not check out: drop it, log it."""


class CapabilityMissing(FatalError):
    """A job asked a connector for something its platform or account cannot do."""
