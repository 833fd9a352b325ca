"""Domain errors. Input problems raise Django's ValidationError instead."""

from collections.abc import Mapping


class ApplicationError(Exception):
    """A business rule refused the operation; `message` is fit to show to the user."""

    def __init__(self, message: str, extra: Mapping[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = dict(extra or {})


class InvalidTransition(ApplicationError):
    """The object's current state does not allow the requested transition."""


class StaleVersion(ApplicationError):
    """The caller acted on a version of the object that has since changed."""
