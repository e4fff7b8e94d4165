"""The mails the partners part sends (``workflow``: the agreement, suspension, end and
extension of the term; ``capacity``: stale places; ``compliance``: expiring evidence and
the review of a new version; ``reconfirmation``: a re-confirmation round), as the
administrators' mail-text editor documents them. ``create_app`` declares ``KINDS``."""
from datetime import date, datetime

from ..notifications.kinds import (
    APPLICATION,
    S,
    mail_kind,
    sample_application,
    sample_organisation,
    sample_procedure,
    sample_user,
)

# --- samples ------------------------------------------------------------------------------


def _category():
    return S(code="pleegzorg", name="Pleegzorg")


def _admission():
    return S(category=_category(), organisation=sample_organisation(),
             status=S(value="geschorst", label="geschorst"),
             ended_on=date(2027, 12, 31), end_reason="Het huis voldoet niet meer aan de eisen.")


def _agreement():
    return S(id=5, organisation=sample_organisation(), created_at=datetime(2027, 5, 3, 10, 0),
             accepted_at=datetime(2027, 5, 10, 14, 12),
             accepted_sha256="9f2c1e7d5b3a4c6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6")


def _partner():
    return S(id=9, name="Stichting Voorbeeld Jeugdzorg", kvk_number="12345678", city="Breda")


_INSURANCE = ["A8 Beroeps- en bedrijfsaansprakelijkheidsverzekering"]


def _expiring():
    return {"document": S(id=12, original_name="polis-2027.pdf",
                          valid_until=date(2027, 6, 30)),
            "valid_until": date(2027, 6, 30), "days_left": 30, "days_before": 30,
            "subjects": _INSURANCE}


def _reviewed(reason=None):
    return {"organisation": _partner(), "review": S(id=3, reason=reason),
            "document": S(id=14, original_name="polis-2028.pdf",
                          valid_until=date(2028, 6, 30)),
            "old_document": S(id=12, original_name="polis-2027.pdf",
                              valid_until=date(2027, 6, 30)),
            "old_valid_until": date(2027, 6, 30), "subjects": _INSURANCE}


def _reconfirmation():
    return {
        "subject": "Herbevestiging van de eisen gevraagd, uiterlijk 01-03-2028",
        "application": S(id=42, reference=None,
                         organisation=S(name="Stichting Gezinshuis De Linde")),
        "round": S(deadline=date(2028, 3, 1), note="De eis over de meldcode is aangescherpt."),
        "version": S(number=3),
        "requirements": [S(code="A9", title="Meldcode huiselijk geweld en kindermishandeling"),
                         S(code="H4", title="Nazorg na de plaatsing")],
    }


# --- placeholders of the evidence mails -----------------------------------------------------

_SUBJECTS = ("subjects", "de eisen waarvoor het een bewijsstuk is; gebruik "
                         "{% for item in subjects %}{{ item }}{% endfor %}")
_EVIDENCE = [
    ("document.original_name", "bestandsnaam van het bewijsstuk"),
    ("valid_until|datum", "datum tot en met wanneer het bewijsstuk geldig is"),
    ("days_left", "aantal dagen tot die datum (0 op de dag zelf, negatief als het "
                  "bewijsstuk verlopen is)"),
    ("days_before", "moment van deze e-mail: 60, 30 of 7 dagen vooraf, of 0 (de dag zelf)"),
    _SUBJECTS,
]
_REVIEW = [
    ("document.original_name", "bestandsnaam van de nieuwe versie"),
    ("old_document.original_name", "bestandsnaam van het document dat zij vervangt"),
    ("organisation.name", "naam van de aanbieder"),
    _SUBJECTS,
]

KINDS = (
    # workflow: the agreement
    mail_kind("agreement_offered", "Deelnemersovereenkomst aangeboden",
              "de beheerders van de aanbieder (met de overeenkomst als bijlage)",
              [*APPLICATION,
               ("agreement.organisation.name", "naam van de aanbieder"),
               ("admissions|map(attribute='category.name')|join(', ')",
                "de categorieën waarvoor de aanbieder is toegelaten"),
               ("portal_url('partners_partner.agreement', agreement_id=agreement.id)",
                "link om de overeenkomst te accepteren")],
              lambda: {"subject": "Deelnemersovereenkomst Open house Wonen met begeleiding "
                                  "accepteren",
                       "application": sample_application(), "agreement": _agreement(),
                       "admissions": [_admission()]}),
    mail_kind("agreement_reminder", "Herinnering deelnemersovereenkomst",
              "de beheerders van de aanbieder",
              [("agreement.created_at|datum", "wanneer de overeenkomst is aangeboden"),
               ("agreement.organisation.name", "naam van de aanbieder"),
               ("portal_url('partners_partner.agreement', agreement_id=agreement.id)",
                "link om de overeenkomst te accepteren")],
              lambda: {"subject": "Herinnering: accepteer de deelnemersovereenkomst",
                       "agreement": _agreement()}),
    mail_kind("agreement_accepted", "Deelnemersovereenkomst geaccepteerd",
              "de beheerders van de aanbieder",
              [("by.full_name", "wie de overeenkomst accepteerde"),
               ("agreement.accepted_at|datumtijd", "wanneer"),
               ("agreement.accepted_sha256", "vingerafdruk (SHA-256) van het document"),
               ("agreement.organisation.name", "naam van de aanbieder")],
              lambda: {"subject": "Bevestiging: deelnemersovereenkomst geaccepteerd",
                       "agreement": _agreement(),
                       "by": sample_user("Anna Aanbieder", "aanbieder@voorbeeld.example")}),
    # workflow: suspension and end of an admission
    mail_kind("admission_suspended", "Toelating geschorst", "de beheerders van de aanbieder",
              [("admission.category.name", "de categorie van de toelating"),
               ("admission.organisation.name", "naam van de aanbieder"),
               ("suspension.starts_on|datum", "begin van de schorsing"),
               ("suspension.ends_on|datum", "einde van de schorsing (kan leeg zijn)"),
               ("suspension.reason", "reden van de schorsing")],
              lambda: {"subject": "Schorsing van uw toelating voor Pleegzorg",
                       "admission": _admission(),
                       "suspension": S(starts_on=date(2027, 6, 1), ends_on=date(2027, 8, 31),
                                       reason="Toezicht heeft tekortkomingen vastgesteld.")}),
    mail_kind("admission_reinstated", "Schorsing opgeheven", "de beheerders van de aanbieder",
              [("admission.category.name", "de categorie van de toelating"),
               ("admission.organisation.name", "naam van de aanbieder")],
              lambda: {"subject": "Uw toelating voor Pleegzorg is weer actief",
                       "admission": _admission()}),
    mail_kind("admission_end_planned", "Einde van een toelating aangekondigd",
              "de beheerders van de aanbieder",
              [("admission.category.name", "de categorie van de toelating"),
               ("admission.organisation.name", "naam van de aanbieder"),
               ("admission.ended_on|datum", "datum waarop de toelating eindigt"),
               ("admission.end_reason", "reden")],
              lambda: {"subject": "Uw toelating voor Pleegzorg eindigt op 31-12-2027",
                       "admission": _admission()}),
    mail_kind("admission_ended", "Toelating beëindigd", "de beheerders van de aanbieder",
              [("admission.category.name", "de categorie van de toelating"),
               ("admission.organisation.name", "naam van de aanbieder"),
               ("admission.ended_on|datum", "datum van beëindiging"),
               ("admission.end_reason", "reden")],
              lambda: {"subject": "Uw toelating voor Pleegzorg is beëindigd",
                       "admission": _admission()}),
    # workflow: extension of the term
    mail_kind("term_extended", "Looptijd verlengd", "de beheerders van elke toegelaten aanbieder",
              [("procedure.name", "naam van de procedure"),
               ("procedure.current_end|datum", "nieuwe einddatum"),
               ("old_end|datum", "vorige einddatum"),
               ("procedure.options_left", "resterende verlengingsopties"),
               ("exercise.rationale", "onderbouwing van de verlenging")],
              lambda: {"subject": "Open house Wonen met begeleiding verlengd tot 31-12-2032",
                       "procedure": sample_procedure(), "old_end": date(2031, 12, 31),
                       "exercise": S(number=1, months=12, exercised_on=date(2031, 6, 1),
                                     rationale="Er zijn nog te weinig aanbieders.")}),
    # capacity
    mail_kind("capacity_stale", "Beschikbare plaatsen bijwerken", "de beheerders van de aanbieder",
              [("report.category.name", "de categorie van de opgave"),
               ("report.location", "de locatie"),
               ("report.places", "het aantal opgegeven plaatsen"),
               ("report.available_from|datum", "beschikbaar vanaf"),
               ("report.reported_at|datum", "datum van de laatste opgave"),
               ("stale_days", "na hoeveel dagen een opgave verouderd is"),
               ("portal_url('partners_capacity.update', report_id=report.id)",
                "link om de plaatsen bij te werken")],
              lambda: {"subject": "Werk uw beschikbare plaatsen bij: Pleegzorg, Breda",
                       "report": S(id=3, category=_category(), location="Breda",
                                   places=2, available_from=date(2027, 9, 1),
                                   reported_at=datetime(2027, 6, 1, 12, 0)),
                       "stale_days": 90}),
    # compliance: expiring evidence and the review of a new version
    mail_kind("expiry_partner", "Bewijsstuk verloopt", "de beheerders van de aanbieder",
              _EVIDENCE + [("organisation.name", "naam van de aanbieder"),
                           ("portal_url('partners_compliance.replace', document_id=document.id)",
                            "link om een nieuwe versie te uploaden")],
              lambda: {"subject": "Bewijsstuk verloopt over 30 dagen: " + _INSURANCE[0],
                       "organisation": _partner(), **_expiring()}),
    mail_kind("expiry_region", "Bewijsstuk van een partner verloopt", "alle contractbeheerders",
              _EVIDENCE + [("partner.name", "naam van de aanbieder"),
                           ("portal_url('partners_file.show', organisation_id=partner.id)",
                            "link naar het partnerdossier")],
              lambda: {"subject": "Stichting Voorbeeld Jeugdzorg: bewijsstuk verloopt over 30 "
                                  "dagen: " + _INSURANCE[0],
                       "partner": _partner(), **_expiring()}),
    mail_kind("evidence_review_accepted", "Nieuwe versie van een bewijsstuk geaccepteerd",
              "de beheerders van de aanbieder en wie de nieuwe versie instuurde",
              _REVIEW + [("document.valid_until|datum",
                          "datum tot en met wanneer de nieuwe versie geldig is"),
                         ("portal_url('partners_compliance.mine')",
                          "link naar de bewijsstukken van de aanbieder")],
              lambda: {"subject": "Nieuwe versie geaccepteerd: polis-2028.pdf", **_reviewed()}),
    mail_kind("evidence_review_rejected", "Nieuwe versie van een bewijsstuk afgewezen",
              "de beheerders van de aanbieder en wie de nieuwe versie instuurde",
              _REVIEW + [("review.reason", "de reden van de afwijzing"),
                         ("old_valid_until|datum",
                          "datum tot en met wanneer het huidige bewijsstuk geldig is"),
                         ("portal_url('partners_compliance.replace', document_id=old_document.id)",
                          "link om een andere versie te uploaden")],
              lambda: {"subject": "Nieuwe versie afgewezen: polis-2028.pdf",
                       **_reviewed("De polis is niet ondertekend.")}),
    # reconfirmation
    mail_kind("reconfirmation_started", "Herbevestiging gevraagd",
              "het contactadres en de beheerders van elke actieve partner in de ronde",
              [("application.organisation.name", "naam van de aanbieder"),
               ("version.number", "nummer van de nieuwe versie van de eisen"),
               ("round.deadline|datum", "uiterste datum voor de herbevestiging"),
               ("round.note", "toelichting van de regio (kan leeg zijn)"),
               ("requirements", "de nieuwe of gewijzigde eisen (code en titel)"),
               ("portal_url('applications.edit', application_id=application.id)",
                "link naar de herbevestiging in het portaal")],
              _reconfirmation),
)
