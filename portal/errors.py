"""Domain errors raised by workflow functions; views turn them into messages."""
from .i18n import N_, ngettext
from .i18n import gettext as _


class DomainError(Exception):
    """A rule of the domain refused the change. The message is Dutch, for users."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class TransitionNotAllowed(DomainError):
    """The transition table does not allow this state change."""


class NotPermitted(DomainError):
    """The actor may not do this."""


class ValidationFailed(DomainError):
    """Several rules failed; ``errors`` lists (field id, Dutch message) pairs."""

    def __init__(self, errors: list[tuple[str, str]]):
        super().__init__(ngettext("Er is %(num)d fout gevonden.",
                                  "Er zijn %(num)d fouten gevonden.", len(errors)))
        self.errors = errors


STALE_MESSAGE = N_("Iemand anders heeft dit intussen gewijzigd. U ziet nu de actuele stand; "
                    "voer uw wijziging zo nodig opnieuw in.")


class StaleForm(DomainError):
    """The form was built on a version of the record that someone else has since changed."""

    def __init__(self, message: str | None = None):
        super().__init__(_(STALE_MESSAGE) if message is None else message)
