"""The mails the applications part sends (``workflow``: the receipt of a submitted
application; a draft moved to a newly published version of the requirements), as the
administrators' mail-text editor documents them. ``create_app`` declares ``KINDS``."""
from ..notifications.kinds import (
    APPLICATION,
    APPLICATION_LINK_PROVIDER,
    S,
    mail_kind,
    sample_application,
)

KINDS = (
    mail_kind("receipt", "Ontvangstbevestiging aanmelding",
              "de aanbieder (wie indiende en de beheerders)",
              [*APPLICATION, ("weeks", "beslistermijn in weken"), *APPLICATION_LINK_PROVIDER],
              lambda: {"subject": "Ontvangstbevestiging aanmelding WMB-2027-0042",
                       "application": sample_application(), "weeks": 8}),
    mail_kind("draft_moved", "Concept-aanmelding bijgewerkt naar een nieuwe versie van de eisen",
              "de aanbieder (wie het concept maakte en het contactadres)",
              [*APPLICATION, ("version.number", "nummer van de nieuwe versie van de eisen"),
               ("previous_number", "nummer van de versie waarop het concept was gemaakt"),
               ("requirements", "de nieuwe of gewijzigde eisen die opnieuw beantwoord moeten "
                                "worden (lijst met code en titel)"),
               *APPLICATION_LINK_PROVIDER],
              lambda: {"subject": "Nieuwe versie van de eisen: uw concept-aanmelding is bijgewerkt",
                       "application": sample_application(), "version": S(number=2),
                       "previous_number": 1,
                       "requirements": [S(code="P3", title="Nazorg voor pleegouders na een "
                                                           "breakdown")]}),
)
