"""The audit trail in Dutch words: what the audit page, its filter and its export show
instead of event codes and table names. (The codes are strings here; audit imports no part.)"""
from __future__ import annotations

ACTION_LABELS = {
    # accounts
    "registered": "Account geregistreerd",
    "email_confirmed": "E-mailadres bevestigd",
    "email_change_requested": "Wijziging e-mailadres aangevraagd",
    "email_changed": "E-mailadres gewijzigd",
    "activated": "Account geactiveerd",
    "login": "Ingelogd",
    "login_failed": "Inloggen mislukt",
    "logout": "Uitgelogd",
    "password_changed": "Wachtwoord gewijzigd",
    "password_reset_requested": "Nieuw wachtwoord aangevraagd",
    "password_reset": "Wachtwoord opnieuw ingesteld",
    "password_rehashed": "Wachtwoord opnieuw versleuteld (nieuwe instellingen)",
    "registration_with_known_address": "Registratie met een bestaand e-mailadres",
    "second_factor_enrolled": "Tweede factor ingesteld",
    "second_factor_used": "Ingelogd met tweede factor",
    "second_factor_failed": "Code tweede factor onjuist",
    "second_factor_recovery_used": "Herstelcode gebruikt",
    "second_factor_reset": "Tweede factor teruggezet",
    "second_factor_disabled": "Tweede factor uitgeschakeld",
    "invited": "Collega uitgenodigd",
    "invitation_accepted": "Uitnodiging aangenomen",
    "invitation_revoked": "Uitnodiging ingetrokken",
    "org_role_changed": "Rol in de organisatie gewijzigd",
    "organisation_updated": "Organisatiegegevens gewijzigd",
    "user_created": "Gebruiker aangemaakt",
    "user_deactivated": "Gebruiker gedeactiveerd",
    "staff_created": "Medewerker aangemaakt",
    "staff_deactivated": "Medewerker gedeactiveerd",
    "staff_reactivated": "Medewerker weer actief",
    "staff_invitation_resent": "Uitnodiging medewerker opnieuw verstuurd",
    "staff_password_set": "Wachtwoord medewerker ingesteld",
    "personal_data_exported": "Eigen gegevens gedownload",
    "user_anonymised": "Gebruiker geanonimiseerd",
    # procedure
    "created": "Aangemaakt",
    "applications_opened": "Aanmelden geopend",
    "applications_closed": "Aanmelden tijdelijk gesloten",
    "category_added": "Categorie toegevoegd",
    "category_changed": "Categorie gewijzigd",
    "category_moved": "Categorie verplaatst",
    "category_deactivated": "Categorie gedeactiveerd",
    "category_reactivated": "Categorie weer actief",
    "product_added": "Product toegevoegd",
    "product_changed": "Product gewijzigd",
    "tariff_set": "Tarief vastgesteld",
    "tariff_removed": "Tarief verwijderd",
    "tariff_published": "Tarief gepubliceerd",
    "tariffs_published": "Tarieven gepubliceerd",
    "settings_changed": "Procedure-instellingen gewijzigd",
    "document_published": "Document gepubliceerd",
    "document_withdrawn": "Document ingetrokken",
    "catalogue_draft_created": "Concept van de eisen gemaakt",
    "catalogue_draft_discarded": "Concept van de eisen verwijderd",
    "catalogue_published": "Nieuwe versie van de eisen gepubliceerd",
    "catalogue_requirement_added": "Eis toegevoegd aan het concept",
    "catalogue_requirement_changed": "Eis gewijzigd in het concept",
    "catalogue_requirement_moved": "Eis verplaatst in het concept",
    "catalogue_requirement_removed": "Eis verwijderd uit het concept",
    "question_asked": "Vraag gesteld",
    "question_answer_changed": "Antwoord op een vraag gewijzigd",
    "question_public_text_changed": "Openbare tekst van een vraag gewijzigd",
    "question_published": "Vraag en antwoord gepubliceerd",
    "question_unpublished": "Vraag en antwoord teruggetrokken",
    "qa_notifications_on": "Berichten over vragen en antwoorden aangezet",
    "mail_template_changed": "E-mailtekst gewijzigd",
    "mail_template_reset": "E-mailtekst teruggezet naar de standaardtekst",
    # applications and assessment
    "submitted": "Aanmelding ingediend",
    "withdrawn": "Aanmelding ingetrokken",
    "moved_to_catalogue_version": "Concept overgezet naar een nieuwe versie van de eisen",
    "uploaded": "Bestand geüpload",
    "downloaded": "Bestand gedownload",
    "viewed": "Bestand bekeken",
    "review_started": "In behandeling genomen",
    "assigned": "Toegewezen aan een beoordelaar",
    "conflict_declared": "Verklaard geen belangenconflict te hebben",
    "verdicts_recorded": "Oordelen vastgelegd",
    "completion_requested": "Aanvulling gevraagd",
    "completion_returned": "Aanvulling ontvangen",
    "completion_expired": "Termijn voor de aanvulling verstreken",
    "decision_proposed": "Besluit voorgesteld",
    "decision_sent_back": "Besluitvoorstel teruggestuurd",
    "decision_approved": "Besluit goedgekeurd",
    "correction_proposed": "Herstelbesluit voorgesteld",
    "correction_approved": "Herstelbesluit goedgekeurd",
    # partners
    "agreement_offered": "Deelnemersovereenkomst aangeboden",
    "agreement_accepted": "Deelnemersovereenkomst geaccepteerd",
    "evidence_submitted": "Nieuw bewijsstuk ingediend",
    "evidence_accepted": "Bewijsstuk goedgekeurd",
    "evidence_rejected": "Bewijsstuk afgewezen",
    "expiry_notice_sent": "Bericht over verlopen bewijs verstuurd",
    "capacity_reported": "Beschikbare plaatsen opgegeven",
    "capacity_reminder_sent": "Herinnering beschikbare plaatsen verstuurd",
    "suspension_planned": "Schorsing gepland",
    "suspended": "Geschorst",
    "reinstated": "Schorsing opgeheven",
    "notice_given": "Opzegging vastgelegd",
    "end_planned": "Beëindiging gepland",
    "ended": "Beëindigd",
    "extension_exercised": "Verlengingsoptie benut",
    "reconfirmation_started": "Herbevestiging gestart",
    # mail and exports
    "mail_read": "E-mail gelezen",
    "mail_resent": "E-mail opnieuw verstuurd",
    "exported": "Gegevens geëxporteerd",
    # oversight: verantwoordingsdialogen and toezicht
    "dialogue_planned": "Verantwoordingsdialoog gepland",
    "dialogue_minutes_recorded": "Verslag van een dialoog vastgelegd",
    "dialogue_minutes_changed": "Verslag van een dialoog gewijzigd",
    "dialogue_minutes_confirmed": "Verslag van een dialoog bevestigd door de partner",
    "dialogue_minutes_remark": "Opmerking van de partner bij een verslag",
    "action_point_added": "Actiepunt toegevoegd",
    "action_point_status_changed": "Status van een actiepunt gewijzigd",
    "investigation_opened": "Onderzoek (toezicht) gestart",
    "finding_recorded": "Bevinding vastgelegd",
    "investigation_measure_taken": "Maatregel na toezicht vastgelegd",
    "investigation_follow_up_planned": "Follow-up van een onderzoek gepland",
    "investigation_closed": "Onderzoek (toezicht) afgesloten",
    # monitoring: the information set, reporting rounds and reports
    "indicator_set_drafted": "Conceptversie informatieset gemaakt",
    "indicator_added": "Indicator toegevoegd",
    "indicator_changed": "Indicator gewijzigd",
    "indicator_removed": "Indicator verwijderd",
    "indicator_set_published": "Informatieset gepubliceerd",
    "reporting_round_opened": "Verantwoordingsronde geopend",
    "reporting_round_closed": "Verantwoordingsronde gesloten",
    "indicator_report_submitted": "Verantwoording ingediend",
    "indicator_report_corrected": "Verantwoording gecorrigeerd",
    "reporting_reminder_sent": "Herinnering verantwoording verstuurd",
}

OBJECT_LABELS = {
    "admissions": "toelating",
    "agreements": "deelnemersovereenkomst",
    "applications": "aanmelding",
    "audit_events": "auditlog",
    "capacity_reports": "opgave beschikbare plaatsen",
    "catalogue_versions": "versie van de eisen",
    "categories": "categorie",
    "documents": "document",
    "evidence_reviews": "beoordeling van een bewijsstuk",
    "invitations": "uitnodiging",
    "mail_templates": "e-mailtekst",
    "organisations": "organisatie",
    "outbox_mails": "e-mail",
    "procedures": "procedure",
    "procedure_documents": "document van de procedure",
    "products": "product",
    "questions": "vraag (nota van inlichtingen)",
    "reconfirmation_rounds": "herbevestigingsronde",
    "requirements": "eis",
    "tariffs": "tarief",
    "users": "gebruiker",
    "dialogues": "verantwoordingsdialoog",
    "action_points": "actiepunt",
    "investigations": "onderzoek (toezicht)",
    "investigation_findings": "bevinding van toezicht",
    "indicator_sets": "versie van de informatieset",
    "indicators": "indicator",
    "reporting_rounds": "verantwoordingsronde",
    "round_participants": "gevraagde partner in een verantwoordingsronde",
    "indicator_reports": "verantwoording van een partner",
}

OUTCOME_LABELS = {"success": "gelukt", "failure": "geweigerd"}

# Every state the portal stores, as it is shown (lower case; a page capitalises where it
# starts a sentence): applications, admissions, verdicts, decisions, evidence reviews and
# mails. The parts' enums take their ``label`` from here (tests/test_labels.py).
STATE_LABELS = {
    # applications
    "concept": "concept",
    "ingediend": "ingediend",
    "in_behandeling": "in behandeling",
    "aanvulling_gevraagd": "aanvulling gevraagd",
    "besluit_voorgesteld": "besluit voorgesteld",
    "besloten": "besloten",
    "ingetrokken": "ingetrokken",
    # decisions per category and admissions
    "toegelaten": "toegelaten",
    "afgewezen": "afgewezen",
    "actief": "actief",
    "geschorst": "geschorst",
    "beeindigd": "beëindigd",
    # verdicts
    "voldoet": "voldoet",
    "voldoet_niet": "voldoet niet",
    "niet_van_toepassing": "niet van toepassing",
    # a partner's new version of a document
    "pending": "in beoordeling",
    "accepted": "geaccepteerd",
    "rejected": "afgewezen",
    # mails
    "queued": "in de wachtrij",
    "sending": "wordt verzonden",
    "sent": "verzonden",
    "failed": "mislukt",
    # oversight: dialogues, action points, findings and measures
    "gepland": "gepland",
    "verslag_ter_bevestiging": "verslag ter bevestiging",
    "verslag_bevestigd": "verslag bevestigd",
    "gereed": "gereed",
    "vervallen": "vervallen",
    "verbetering_nodig": "verbetering nodig",
    "geen": "geen maatregel",
    "verbeterplan": "verbeterplan",
    "schorsing": "schorsing",
    # monitoring: rounds and information-set versions
    "open": "open",
    "gesloten": "gesloten",
    "gepubliceerd": "gepubliceerd",
}


def _words(code: str | None) -> str:
    return (code or "").replace("_", " ").strip()


def action_label(action: str | None) -> str:
    """The Dutch label of an action; an unknown one reads as words, never as a code."""
    return ACTION_LABELS.get(action or "") or _words(action).capitalize()


def object_label(object_type: str | None) -> str:
    return OBJECT_LABELS.get(object_type or "") or _words(object_type)


def state_label(state) -> str:
    """The Dutch label of a state (a stored value or an enum member); an unknown one reads
    as words, never as a code."""
    value = getattr(state, "value", state)
    return STATE_LABELS.get(value or "") or _words(value)


def outcome_label(outcome: str | None) -> str:
    return OUTCOME_LABELS.get(outcome or "", _words(outcome))
