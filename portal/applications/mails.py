"""The mails the applications part sends (``workflow``: the receipt of a submitted
application), as the administrators' mail-text editor documents them. ``create_app``
declares ``KINDS``."""
from ..notifications.kinds import (
    APPLICATION,
    APPLICATION_LINK_PROVIDER,
    mail_kind,
    sample_application,
)

KINDS = (
    mail_kind("receipt", "Ontvangstbevestiging aanmelding",
              "de aanbieder (wie indiende en de beheerders)",
              [*APPLICATION, ("weeks", "beslistermijn in weken"), *APPLICATION_LINK_PROVIDER],
              lambda: {"subject": "Ontvangstbevestiging aanmelding WMB-2027-0042",
                       "application": sample_application(), "weeks": 8}),
)
