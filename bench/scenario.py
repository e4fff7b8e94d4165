"""Every page of the portal, with data behind it, for the scale test and the benchmark.

``build(app)`` takes the demo organisation through the whole life that the pages show
(an assessed application with a completion round, an accepted agreement, capacity,
replaced evidence, questions, a re-confirmation round, a colleague, a catalogue draft,
public documents) using the real workflows. ``pages(app, ids)`` then gives, for every GET
endpoint of the portal, a URL and who opens it; ``SKIPPED`` names the few endpoints
that are not counted and why. ``uncovered(app)`` lists endpoints that are in neither, so
a new page cannot slip past the statement budget unnoticed.
"""
from __future__ import annotations

import io
from datetime import timedelta

from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from portal.extensions import db

PROVIDER = "aanbieder@demo.nl"
ASSESSOR_1 = "beoordelaar1@demo.nl"
ASSESSOR_2 = "beoordelaar2@demo.nl"
ADMIN = "beheer@demo.nl"
COLLEAGUE = "collega@demo.nl"
PDF_BYTES = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"

# Pages that do a fixed amount of work whatever the data: a signed token is checked and
# one row looked up. They need a fresh token per request, so they are left out here.
SKIPPED = {
    "static": "files, no database",
    "accounts.confirm": "signed token; one row",
    "accounts.confirm_email_change": "signed token; one row",
    "accounts.reset_password": "signed token; one row",
    "accounts.accept_invitation": "signed token; one row",
    "admin_staff.set_password": "signed token; one row",
    "accounts.logout": "no page",
    "accounts.login_code": "the login's second step: needs the password step first; one row",
    "accounts.login_recovery": "the login's second step: needs the password step first; one row",
}


def _user(email):
    from portal.models import User

    return db.session.scalar(select(User).where(User.email == email))


def _pdf(name):
    """A small PDF whose content differs per name (files are stored once by checksum)."""
    content = PDF_BYTES + b"%" + name.encode() + b"\n"
    return FileStorage(io.BytesIO(content), filename=name, content_type="application/pdf")


def build(app) -> dict:
    """The demo organisation's whole file, through the workflows; returns the ids the
    pages need."""
    from portal.accounts.models import OrgRole, Role, User
    from portal.accounts.passwords import hash_password
    from portal.applications import workflow as applications
    from portal.assessment import workflow as assessment
    from portal.models import (
        Admission,
        Answer,
        Category,
        OutboxMail,
        Outcome,
        Procedure,
        Product,
        Question,
        Requirement,
        VerdictOutcome,
    )
    from portal.partners import capacity, compliance, reconfirmation
    from portal.partners import workflow as partners
    from portal.procedure import qa
    from portal.procedure import settings as procedure_ops
    from portal.procedure import versions as catalogue_ops
    from portal.timeutil import today_local, utcnow
    from tests.helpers import categories, fill_completely

    with app.app_context():
        provider, first, second, admin = (_user(e) for e in (PROVIDER, ASSESSOR_1, ASSESSOR_2, ADMIN))
        procedure = db.session.scalar(select(Procedure).order_by(Procedure.id))
        org = provider.organisation
        colleague = User(email=COLLEAGUE, full_name="Collega Demo", role=Role.PROVIDER,
                         organisation=org, org_role=OrgRole.MEDEWERKER,
                         password_hash=hash_password("demo-wachtwoord-2027"),
                         email_confirmed_at=utcnow())
        db.session.add(colleague)

        application = applications.create_application(
            procedure, categories("pleegzorg", "leefgroepen"), by=provider)
        fill_completely(application, provider)
        # Each dated piece of evidence its own file (the same file is stored only once).
        from portal.files import store_upload

        for answer in application.answers:
            if answer.evidence_valid_until is not None:
                answer.document = store_upload(_pdf(f"bewijs-{answer.requirement_id}.pdf"),
                                               organisation=org, by=provider)
        applications.submit(application, by=provider)
        assessment.start_review(application, by=first)
        assessment.declare_no_conflict(application, by=first)
        a5 = next(r for r in application.applicable_requirements() if r.code == "A5")
        assessment.request_completion(application, {a5.id: "Nieuw certificaat?"}, by=first)
        assessment.return_completion(application, by=provider)
        l1 = next(r for r in application.applicable_requirements() if r.code == "L1")
        assessment.record_verdicts(application, {
            r.id: (VerdictOutcome.VOLDOET_NIET, "Geen groepsgrootte.") if r.code == "L1"
            else (VerdictOutcome.VOLDOET, "") for r in application.applicable_requirements()},
            by=first)
        pleeg, leef = categories("pleegzorg", "leefgroepen")
        assessment.propose_decision(application, {
            pleeg.id: (Outcome.TOEGELATEN, "Voldoet aan alle eisen.", []),
            leef.id: (Outcome.AFGEWEZEN, "Groepsgrootte ontbreekt.", [l1.id])}, by=first)
        assessment.approve_decision(application, no_conflict=True, by=second)
        db.session.commit()

        admission = db.session.scalar(select(Admission).where(Admission.organisation_id == org.id))
        partners.accept_agreement(admission.agreement, by=provider, ip_address="192.0.2.7")
        report = capacity.report_capacity(org, capacity.CapacityInput(
            category_id=pleeg.id, location="Breda", places=2, available_from=today_local(),
            age_min=12, age_max=18), by=provider)
        tracked = sorted(compliance.tracked_dates(org.id))
        review = compliance.submit_replacement(org, tracked[0], _pdf("nieuw.pdf"),
                                               today_local() + timedelta(days=400), by=provider)
        replaceable = tracked[1]

        question = qa.ask(procedure, "Tarief 2028", "Wanneer komen de tarieven van 2028?",
                          by=provider)
        qa.answer(question, "In het najaar van 2027.", by=admin)
        qa.publish(question, "Wanneer komen de tarieven van 2028?", "In het najaar van 2027.",
                   by=admin)
        for kind in procedure_ops.DOCUMENT_KINDS:
            procedure_ops.publish_document(procedure, kind, title=kind.capitalize(),
                                           file_storage=_pdf(f"{kind}.pdf"), by=admin,
                                           max_bytes=app.config["UPLOAD_MAX_BYTES"])
        db.session.commit()

        # A new catalogue version with a tightened requirement, and its re-confirmation round.
        draft = catalogue_ops.create_draft(procedure, by=admin)
        p2 = db.session.scalar(select(Requirement).where(Requirement.version_id == draft.id,
                                                         Requirement.code == "P2"))
        spec = catalogue_ops.RequirementSpec.of(p2)
        spec.title = p2.title + " (binnen een uur ter plaatse)"
        catalogue_ops.change_requirement(p2, spec, by=admin)
        catalogue_ops.publish(draft, "Aangescherpt", by=admin)
        db.session.commit()
        # Publishing may start the round itself (when the portal does that automatically).
        round_ = reconfirmation.latest_round(procedure)
        if round_ is None or round_.version_id != draft.id:
            round_ = reconfirmation.start_round(procedure, draft, by=admin,
                                                deadline=today_local() + timedelta(days=30))
        db.session.commit()
        published = draft.number
        draft = catalogue_ops.create_draft(procedure, by=admin)
        draft_requirement = db.session.scalar(
            select(Requirement.id).where(Requirement.version_id == draft.id).order_by(Requirement.id))
        concept = applications.create_application(procedure, categories("gezinshuiszorg"), by=provider)
        from portal.notifications import mail_texts

        kind = mail_texts.mail_kinds()[0]
        texts = mail_texts.default_texts(kind)
        mail_texts.save_text(kind, subject=texts["subject"] + " (regio)", body_text=texts["body_text"],
                             body_html=texts["body_html"], by=admin)
        db.session.commit()

        monitoring = _monitoring(procedure, org, provider, admin, pleeg.id)
        oversight = _oversight(org, admin, monitoring["reporting_round"])
        db.session.commit()

        mail = db.session.scalar(select(OutboxMail.id).where(OutboxMail.organisation_id == org.id)
                                 .order_by(OutboxMail.id.desc()))
        document = db.session.scalar(select(Answer.document_id).where(
            Answer.application_id == application.id, Answer.document_id.is_not(None)))
        return dict(
            org=org.id, application=application.id, concept=concept.id, admission=admission.id,
            agreement=admission.agreement_id, report=report.id, review=review.id,
            replaceable=replaceable, question=question.id,
            asked=db.session.scalar(select(Question.id).order_by(Question.id)),
            round=round_.id, published=published, draft=draft.number,
            draft_requirement=draft_requirement, mail=mail, document=document,
            colleague=colleague.id, assessor=first.id,
            category=db.session.scalar(select(Category.id).order_by(Category.id)),
            product=db.session.scalar(select(Product.id).order_by(Product.id)),
            year=procedure.term_start.year, **monitoring, **oversight,
        )


def _monitoring(procedure, org, provider, admin, category_id) -> dict:
    """Two reporting rounds for the partner's category: one reported and corrected, one
    still to report; and a draft of the information set."""
    from datetime import date

    from portal.monitoring import indicators
    from portal.monitoring import workflow as monitoring
    from portal.timeutil import today_local

    published = indicators.published_set(procedure)
    year = today_local().year - 1
    rounds = [monitoring.open_round(procedure, monitoring.RoundInput(
        label=f"{year} {label}", period_start=date(year, month, 1), period_end=end,
        deadline=today_local() + timedelta(days=14), set_id=published.id,
        category_ids=[category_id]), by=admin)
        for label, month, end in (("K3", 7, date(year, 9, 30)), ("K2", 4, date(year, 6, 30)))]
    figures = {"in_zorg": "10", "gestart": "3", "beeindigd_gepland": "2",
               "beeindigd_ongepland": "1", "verblijfsduur": "400", "klachten": "3",
               "calamiteiten": "0", "personeelsverloop": "8,5"}
    explained = {"klachten": "Drie klachten over de bereikbaarheid; opgelost."}
    first = monitoring.submit_report(rounds[0], org, category_id, {
        code: monitoring.Figure(value, explained.get(code)) for code, value in figures.items()},
        by=provider, attachments=[_pdf("verantwoording.pdf")])
    figures["klachten"] = "2"
    monitoring.submit_report(rounds[0], org, category_id, {
        code: monitoring.Figure(value) for code, value in figures.items()}, by=provider,
        correcting=True, correction_reason="Eén klacht was dubbel geteld.")
    draft = indicators.start_draft(procedure, by=admin)
    return dict(reporting_round=rounds[0].id, open_round=rounds[1].id,
                indicator_report=first.id, indicator_set=published.id, indicator_draft=draft.id,
                draft_indicator=indicators.indicators_of(draft)[0].id,
                indicator_code=indicators.indicators_of(published)[0].code,
                monitored_category=category_id)


def _oversight(org, admin, round_id) -> dict:
    """A verantwoordingsdialoog with minutes and an action point, and an investigation
    with a finding."""
    from datetime import time

    from portal.oversight import supervision
    from portal.oversight import workflow as oversight
    from portal.timeutil import today_local

    today = today_local()
    dialogue = oversight.plan_dialogue(oversight.DialoguePlan(
        organisation_id=org.id, meeting_date=today, meeting_time=time(10, 0), place="Breda",
        online=False, participants="Jan Jansen (contractmanager)\nPiet Demo (directeur)",
        agenda="Rapportage van het derde kwartaal\nKlachten", reporting_round_id=round_id),
        by=admin)
    oversight.record_minutes(dialogue, "De rapportage en de klachten zijn besproken.", by=admin)
    oversight.add_action_point(dialogue, oversight.ActionInput(
        description="Klachtenregeling op de website zetten", owner_side="partner",
        owner_name="Piet Demo", due_on=today + timedelta(days=30)), by=admin)
    investigation = supervision.open_investigation(supervision.InvestigationInput(
        organisation_id=org.id, reason="signaal", started_on=today,
        description="Een signaal over de bereikbaarheid van de nachtdienst."), by=admin)
    supervision.add_finding(investigation, supervision.FindingInput(
        requirement_id=None, indicator_id=None, subject="Bereikbaarheid 's nachts",
        judgement="verbetering_nodig", text="De nachtdienst was twee keer niet bereikbaar."),
        by=admin)
    return dict(dialogue=dialogue.id, investigation=investigation.id)


def pages(app, ids: dict) -> list[tuple[str | None, str, str]]:
    """(who, endpoint, url) for every counted page; who is an e-mail address or None."""
    from portal.notifications.mail_texts import mail_kinds
    from portal.reports.figures import FIGURES

    i = ids
    with app.app_context():
        kind = mail_kinds()[0]
    figure = next(iter(FIGURES))
    indicator_page = (f"/beheer/verantwoording/{i['reporting_round']}/categorie/"
                      f"{i['monitored_category']}/{i['indicator_code']}")
    rows = [
        (None, "procedure.home", "/"),
        (None, "procedure.requirements", "/eisen"),
        (None, "procedure.tariffs", "/tarieven"),
        (None, "procedure.privacy_statement", "/privacyverklaring"),
        (None, "procedure.accessibility_statement", "/toegankelijkheidsverklaring"),
        (None, "health.healthz", "/healthz"),
        (None, "health.readyz", "/readyz"),
        (None, "procedure_document", "/procedure/documenten/toelatingsdocument"),
        (None, "partners.register", "/register"),
        (None, "partners.register", "/register?categorie=pleegzorg&gemeente=Breda"),
        (None, "partners.register", "/register?zoek=Breda&pagina=2"),
        (None, "partners.partner", f"/register/{i['org']}"),
        (None, "partners.export_csv", "/register/export.csv"),
        (None, "partners.export_ocds", "/register/export.json"),
        (None, "qa.public", "/vragen"),
        (None, "qa.public", "/vragen?zoek=tarief"),
        (None, "accounts.login", "/inloggen"),
        (None, "accounts.register", "/registreren"),
        (None, "accounts.forgot_password", "/wachtwoord-vergeten"),
        (None, "accounts.resend_confirmation", "/bevestiging-opnieuw"),

        (PROVIDER, "applications.dashboard", "/aanbieder"),
        (PROVIDER, "applications.edit", f"/aanmeldingen/{i['application']}"),
        (PROVIDER, "applications.submitted", f"/aanmeldingen/{i['application']}/ingediend"),
        (PROVIDER, "applications.step", f"/aanmeldingen/{i['concept']}/stap/1"),
        (PROVIDER, "applications.step", f"/aanmeldingen/{i['concept']}/stap/2"),
        (PROVIDER, "applications.overview", f"/aanmeldingen/{i['concept']}/overzicht"),
        (PROVIDER, "applications.new", "/aanmeldingen/nieuw"),
        (PROVIDER, "applications.withdraw", f"/aanmeldingen/{i['concept']}/intrekken"),
        (PROVIDER, "applications.download", f"/documenten/{i['document']}"),
        (PROVIDER, "applications.messages", "/organisatie/berichten"),
        (PROVIDER, "applications.message", f"/organisatie/berichten/{i['mail']}"),
        (PROVIDER, "applications.library", "/organisatie/documenten"),
        (PROVIDER, "accounts.account", "/account"),
        (PROVIDER, "accounts.personal_data", "/account/mijn-gegevens.json"),
        (PROVIDER, "accounts.change_email", "/account/e-mail"),
        (PROVIDER, "accounts.change_password", "/account/wachtwoord"),
        (PROVIDER, "accounts.second_factor", "/account/tweestapsverificatie"),
        (PROVIDER, "accounts.mfa_setup", "/account/tweestapsverificatie/instellen"),
        (PROVIDER, "accounts.organisation", "/organisatie"),
        (PROVIDER, "accounts.users", "/organisatie/gebruikers"),
        (PROVIDER, "accounts.edit_member", f"/organisatie/gebruikers/{i['colleague']}"),
        (PROVIDER, "accounts.remove_member", f"/organisatie/gebruikers/{i['colleague']}/verwijderen"),
        (PROVIDER, "accounts.edit_organisation", "/organisatie/gegevens"),
        (PROVIDER, "accounts.invite", "/organisatie/uitnodigen"),
        (PROVIDER, "partners_compliance.mine", "/organisatie/bewijsstukken"),
        (PROVIDER, "partners_compliance.replace",
         f"/organisatie/bewijsstukken/{i['replaceable']}/nieuwe-versie"),
        (PROVIDER, "partners_capacity.mine", "/organisatie/capaciteit"),
        (PROVIDER, "partners_capacity.update", f"/organisatie/capaciteit/{i['report']}/bijwerken"),
        (PROVIDER, "partners_partner.agreements", "/organisatie/overeenkomsten"),
        (PROVIDER, "partners_partner.agreement", f"/organisatie/overeenkomsten/{i['agreement']}"),
        (PROVIDER, "partners_partner.give_notice", f"/organisatie/toelatingen/{i['admission']}/opzeggen"),
        (PROVIDER, "qa.mine", "/vragen/mijn"),
        (PROVIDER, "qa.mine_detail", f"/vragen/mijn/{i['question']}"),
        (PROVIDER, "qa.ask", "/vragen/stellen"),
        (PROVIDER, "qa.notification_settings", "/vragen/meldingen"),

        (ASSESSOR_1, "assessment.queue", "/beoordeling/"),
        (ASSESSOR_1, "assessment.queue", "/beoordeling/?status=besloten&pagina=2"),
        (ASSESSOR_1, "assessment.queue", "/beoordeling/?categorie=pleegzorg&beoordelaar=niemand"
                                         "&termijn=verlopen&zoek=Aanbieder&sorteer=resterend"),
        (ASSESSOR_1, "assessment.detail", f"/beoordeling/{i['application']}"),
        (ASSESSOR_1, "assessment.correction", f"/beoordeling/{i['application']}/herstel"),
        (ASSESSOR_1, "assessment.view_document", f"/beoordeling/documenten/{i['document']}/bekijken"),
        (ASSESSOR_1, "partners_compliance.reviews", "/beheer/bewijsstukken"),
        (ASSESSOR_1, "partners_compliance.review", f"/beheer/bewijsstukken/{i['review']}"),
        (ASSESSOR_1, "partners_compliance.partners", "/beheer/partners"),
        (ASSESSOR_1, "partners_compliance.partners", "/beheer/partners?niet_compliant=1&zoek=Aanbieder"),
        (ASSESSOR_1, "partners_file.show", f"/beheer/partners/{i['org']}"),
        (ASSESSOR_1, "partners_file.applications", f"/beheer/partners/{i['org']}/aanmeldingen"),
        (ASSESSOR_1, "partners_file.capacity_history", f"/beheer/partners/{i['org']}/capaciteit"),
        (ASSESSOR_1, "partners_file.documents", f"/beheer/partners/{i['org']}/documenten"),
        (ASSESSOR_1, "partners_file.mail", f"/beheer/partners/{i['org']}/mails/{i['mail']}"),
        (ASSESSOR_1, "partners_capacity.overview", "/capaciteit"),
        (ASSESSOR_1, "partners_capacity.overview", "/capaciteit?categorie=pleegzorg&leeftijd=16"),

        (ADMIN, "admin.index", "/beheer/"),
        (ADMIN, "admin_audit.audit_log", "/beheer/audit"),
        (ADMIN, "admin_audit.audit_log", "/beheer/audit?object_type=applications&pagina=2"),
        (ADMIN, "admin_audit.audit_export", "/beheer/audit/export.csv?object_type=applications"
                                            f"&object_id={i['application']}"),
        (ADMIN, "admin_procedure.settings", "/beheer/procedure"),
        (ADMIN, "admin_procedure.opening", "/beheer/procedure/aanmelden"),
        (ADMIN, "admin_procedure.documents", "/beheer/procedure/documenten"),
        (ADMIN, "admin_procedure.categories", "/beheer/categorieen"),
        (ADMIN, "admin_procedure.edit_category", f"/beheer/categorieen/{i['category']}"),
        (ADMIN, "admin_procedure.add_category", "/beheer/categorieen/nieuw"),
        (ADMIN, "admin_procedure.products", "/beheer/producten"),
        (ADMIN, "admin_procedure.edit_product", f"/beheer/producten/{i['product']}"),
        (ADMIN, "admin_procedure.add_product", "/beheer/producten/nieuw"),
        (ADMIN, "admin_procedure.tariffs", "/beheer/tarieven"),
        (ADMIN, "admin_procedure.tariff_year", f"/beheer/tarieven/{i['year'] + 1}"),
        (ADMIN, "admin_catalogue.index", "/beheer/eisen"),
        (ADMIN, "admin_catalogue.compare", f"/beheer/eisen/vergelijken?van=1&naar={i['published']}"),
        (ADMIN, "admin_catalogue.version", f"/beheer/eisen/versie/{i['published']}"),
        (ADMIN, "admin_catalogue.version", f"/beheer/eisen/versie/{i['draft']}"),
        (ADMIN, "admin_catalogue.edit",
         f"/beheer/eisen/versie/{i['draft']}/eis/{i['draft_requirement']}"),
        (ADMIN, "admin_catalogue.remove",
         f"/beheer/eisen/versie/{i['draft']}/eis/{i['draft_requirement']}/verwijderen"),
        (ADMIN, "admin_catalogue.add", f"/beheer/eisen/versie/{i['draft']}/eis/nieuw"),
        (ADMIN, "admin_catalogue.discard", f"/beheer/eisen/versie/{i['draft']}/weggooien"),
        (ADMIN, "partners_reconfirmation.index", "/beheer/herbevestiging"),
        (ADMIN, "partners_reconfirmation.show", f"/beheer/herbevestiging/{i['round']}"),
        (ADMIN, "partners_partner.term", "/beheer/looptijd"),
        (ADMIN, "partners_partner.admission", f"/beheer/toelatingen/{i['admission']}"),
        (ADMIN, "notifications.index", "/beheer/mails/"),
        (ADMIN, "notifications.index", "/beheer/mails/?pagina=2"),
        (ADMIN, "notifications.show", f"/beheer/mails/{i['mail']}"),
        (ADMIN, "notifications.html", f"/beheer/mails/{i['mail']}/html"),
        (ADMIN, "admin_staff.mail_texts_index", "/beheer/mailteksten"),
        (ADMIN, "admin_staff.mail_text", f"/beheer/mailteksten/{kind}"),
        (ADMIN, "admin_staff.reset_mail_text", f"/beheer/mailteksten/{kind}/standaard"),
        (ADMIN, "admin_staff.staff", "/beheer/medewerkers"),
        (ADMIN, "admin_staff.staff_member", f"/beheer/medewerkers/{i['assessor']}"),
        (ADMIN, "admin_staff.deactivate_staff", f"/beheer/medewerkers/{i['assessor']}/deactiveren"),
        (ADMIN, "admin_staff.create_staff", "/beheer/medewerkers/nieuw"),
        (ADMIN, "admin_reports.dashboard", "/beheer/rapportage"),
        (ADMIN, "admin_reports.export", f"/beheer/rapportage/{figure}.csv"),
        (ADMIN, "admin_reports.export", f"/beheer/rapportage/{figure}.xlsx"),
        (ADMIN, "qa.admin_list", "/beheer/vragen"),
        (ADMIN, "qa.admin_detail", f"/beheer/vragen/{i['question']}"),
        (ADMIN, "assessment.detail", f"/beoordeling/{i['application']}?als=admin"),

        # Monitoring: the information set, reporting rounds, reports and exports.
        (ADMIN, "monitoring.sets", "/beheer/informatieset"),
        (ADMIN, "monitoring.set_detail", f"/beheer/informatieset/{i['indicator_set']}"),
        (ADMIN, "monitoring.set_detail", f"/beheer/informatieset/{i['indicator_draft']}"),
        (ADMIN, "monitoring.indicator_edit",
         f"/beheer/informatieset/{i['indicator_draft']}/indicator/{i['draft_indicator']}"),
        (ADMIN, "monitoring.indicator_edit",
         f"/beheer/informatieset/{i['indicator_draft']}/indicator/nieuw"),
        (ADMIN, "monitoring.open_round", "/beheer/verantwoording/nieuw"),
        (ADMIN, "monitoring.round_detail", f"/beheer/verantwoording/{i['reporting_round']}"),
        (ASSESSOR_1, "monitoring.rounds", "/beheer/verantwoording"),
        (ASSESSOR_1, "monitoring.round_detail", f"/beheer/verantwoording/{i['reporting_round']}"),
        (ASSESSOR_1, "monitoring.indicator_page", indicator_page),
        (ASSESSOR_1, "monitoring.indicator_page", indicator_page + "?formaat=csv"),
        (ASSESSOR_1, "monitoring.indicator_page", indicator_page + "?formaat=xlsx"),
        (ASSESSOR_1, "monitoring.partner_page", f"/beheer/verantwoording/partner/{i['org']}"),
        (ASSESSOR_1, "monitoring.partner_page",
         f"/beheer/verantwoording/partner/{i['org']}?formaat=csv"),
        (ASSESSOR_1, "monitoring.partner_page",
         f"/beheer/verantwoording/partner/{i['org']}?formaat=xlsx"),
        (ASSESSOR_1, "monitoring.staff_report",
         f"/beheer/verantwoording/rapportage/{i['indicator_report']}"),
        (PROVIDER, "monitoring.mine", "/organisatie/verantwoording"),
        (PROVIDER, "monitoring.report",
         f"/organisatie/verantwoording/{i['reporting_round']}/{i['monitored_category']}"),
        (PROVIDER, "monitoring.report",
         f"/organisatie/verantwoording/{i['open_round']}/{i['monitored_category']}"),
        (PROVIDER, "monitoring.correct",
         f"/organisatie/verantwoording/{i['reporting_round']}/{i['monitored_category']}"
         "/correctie"),
        (PROVIDER, "monitoring.my_report",
         f"/organisatie/verantwoording/rapportage/{i['indicator_report']}"),

        # Oversight: verantwoordingsdialogen with action points, and investigations.
        (ASSESSOR_1, "oversight.dialogues", "/beheer/dialogen"),
        (ASSESSOR_1, "oversight.dialogues", f"/beheer/dialogen?partner={i['org']}"),
        # The new dialogue and investigation: the partner picker (a search among the
        # partners: "Aanbieder" starts the name of every bulk partner) and the form with
        # the partner chosen.
        (ASSESSOR_1, "oversight.plan", "/beheer/dialogen/nieuw"),
        (ASSESSOR_1, "oversight.plan", "/beheer/dialogen/nieuw?zoek=Aanbieder"),
        (ASSESSOR_1, "oversight.plan", f"/beheer/dialogen/nieuw?partner={i['org']}"),
        (ASSESSOR_1, "oversight.dialogue", f"/beheer/dialogen/{i['dialogue']}"),
        (ASSESSOR_1, "oversight.investigations", "/beheer/toezicht"),
        (ASSESSOR_1, "oversight.investigations", f"/beheer/toezicht?partner={i['org']}"),
        (ASSESSOR_1, "oversight.open_investigation", "/beheer/toezicht/nieuw"),
        (ASSESSOR_1, "oversight.open_investigation", "/beheer/toezicht/nieuw?zoek=Aanbieder"),
        (ASSESSOR_1, "oversight.open_investigation",
         f"/beheer/toezicht/nieuw?partner={i['org']}"),
        (ASSESSOR_1, "oversight.investigation", f"/beheer/toezicht/{i['investigation']}"),
        (PROVIDER, "oversight.my_dialogues", "/organisatie/dialogen"),
        (PROVIDER, "oversight.my_dialogue", f"/organisatie/dialogen/{i['dialogue']}"),
        (PROVIDER, "oversight.my_investigations", "/organisatie/toezicht"),
        (PROVIDER, "oversight.my_investigation", f"/organisatie/toezicht/{i['investigation']}"),
    ]
    return rows


def uncovered(app, rows) -> set[str]:
    """GET endpoints of the app that neither ``rows`` nor SKIPPED account for."""
    counted = {endpoint for _, endpoint, _ in rows}
    return {rule.endpoint for rule in app.url_map.iter_rules()
            if "GET" in rule.methods and rule.endpoint not in counted
            and rule.endpoint not in SKIPPED}
