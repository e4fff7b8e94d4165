"""Pages of the questions and answers (vragen en antwoorden, nota van inlichtingen).

Public: the published, anonymised questions and answers. Providers: ask a question, follow
the questions of the own organisation, opt in to mail. Administrators: answer, publish,
unpublish. The changes themselves live in ``qa``.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import false, select
from sqlalchemy.orm import aliased, joinedload

from .. import contentversion, textsearch
from ..accounts.models import Organisation, User
from ..actions import Conflict, attempt, button, show_errors
from ..audit.models import AuditEvent
from ..auth import admin_required, provider_required
from ..errors import DomainError
from ..extensions import db, limiter
from ..i18n import gettext as _
from ..pagecache import public_page
from ..pagination import capped_count, paginate, paginate_two
from . import qa
from .models import PROCEDURE_CONTENT, PUBLIC_QUESTIONS, Question
from .qa_forms import ActionForm, AnswerForm, AskForm, NotificationsForm, PublishForm
from .seed import current_procedure

bp = Blueprint("qa", __name__)

ADMIN_FILTERS = ("alle", "open", "beantwoord", "gepubliceerd")
MAX_SEARCH_WORDS = 5


@dataclass(frozen=True)
class QuestionRow:
    """A question with the people and organisation around it, loaded in one statement."""

    question: Question
    organisation: Organisation | None
    asker: User
    answerer: User | None = None

    @property
    def id(self) -> int:
        return self.question.id


def _procedure_or_404():
    procedure = current_procedure()
    if procedure is None:
        abort(404)
    return procedure


# Made once: an alias built per request costs SQLAlchemy about a millisecond to adapt its
# columns (Column proxies and corresponding_column) every time it is used.
_ASKER, _ANSWERER = aliased(User, name="asker"), aliased(User, name="answerer")


def _rows(where, *, order=None) -> list[QuestionRow]:
    query = (select(Question, Organisation, _ASKER, _ANSWERER)
             .join(_ASKER, _ASKER.id == Question.asked_by_id)
             .outerjoin(_ANSWERER, _ANSWERER.id == Question.answered_by_id)
             .outerjoin(Organisation, Organisation.id == Question.organisation_id)
             .where(where))
    if order is not None:
        query = query.order_by(*order)
    return [QuestionRow(*row) for row in db.session.execute(query)]


# --- public --------------------------------------------------------------------------------

def _questions_version() -> str:
    return contentversion.current(PUBLIC_QUESTIONS, PROCEDURE_CONTENT)


@bp.route("/vragen")
@public_page(_questions_version)
def public():
    """The published, anonymised questions and answers, newest first; searchable."""
    procedure = _procedure_or_404()
    term = " ".join((request.args.get("zoek") or "").split())[:100]
    ids = select(Question.id).where(Question.procedure_id == procedure.id,
                                    Question.published_at.is_not(None))
    if term and db.session.get_bind().dialect.name == "postgresql":
        # Any part of the text, by the trigram index on both columns (migration 0024). A few
        # matches are read by their ids; without that PostgreSQL may walk every published
        # question newest first and test each one (textsearch.few_or_walk).
        matches = select(Question.id)
        for word in term.split()[:MAX_SEARCH_WORDS]:
            like = textsearch.contains(word)
            matches = matches.where(Question.public_question.ilike(like, escape="\\")
                                    | Question.public_answer.ilike(like, escape="\\"))
        ids = ids.where(textsearch.few_or_walk(Question.id, matches))
    elif term:
        # Every word at the start of a word of the question or the answer (full-text index);
        # a search of signs only finds nothing.
        found = textsearch.words(term)[:MAX_SEARCH_WORDS]
        ids = ids.where(textsearch.few_or_walk(Question.id, textsearch.fts_rowids(
            "questions_search", found)) if found else false())
    # Only the public columns are loaded: this page cannot show the asker or the original.
    page = paginate(
        ids.order_by(Question.published_at.desc(), Question.id.desc()),
        lambda page_ids: db.session.execute(
            select(Question.id, Question.public_question, Question.public_answer,
                   Question.published_at).where(Question.id.in_(page_ids))).all(),
    )
    return render_template("qa/public.html", procedure=procedure, page=page, term=term)


# --- providers -----------------------------------------------------------------------------

@bp.route("/vragen/stellen", methods=["GET", "POST"])
@provider_required
@limiter.limit("30 per hour", methods=["POST"])
def ask():
    procedure = _procedure_or_404()
    form = AskForm()
    status = None
    if form.validate_on_submit():
        try:
            question = attempt(lambda: qa.ask(procedure, form.subject.data, form.body.data,
                                              by=current_user))
        except qa.DuplicateQuestion as exc:  # a double click: show the question sent once
            flash(exc.message, "info")
            return redirect(url_for("qa.mine_detail", question_id=exc.question.id))
        except DomainError as exc:
            show_errors(form, exc)
        except Conflict as exc:
            form.form_errors.append(exc.message)
            status = 409
        else:
            flash(_("Uw vraag is verstuurd. U krijgt een ontvangstbevestiging per e-mail, en het "
                    "antwoord ook."), "success")
            return redirect(url_for("qa.mine_detail", question_id=question.id))
    status = status or (422 if form.errors else 200)
    return render_template("qa/ask.html", form=form, procedure=procedure), status


@bp.route("/vragen/mijn")
@provider_required
def mine():
    page = paginate(
        select(Question.id).where(Question.organisation_id == current_user.organisation_id)
        .order_by(Question.asked_at.desc(), Question.id.desc()),
        lambda page_ids: _rows(Question.id.in_(page_ids)),
    )
    return render_template("qa/mine.html", page=page)


@bp.route("/vragen/mijn/<int:question_id>")
@provider_required
def mine_detail(question_id):
    rows = _rows((Question.id == question_id)
                 & (Question.organisation_id == current_user.organisation_id))
    if not rows or not qa.may_see(rows[0].question, current_user):
        abort(404)
    return render_template("qa/mine_detail.html", row=rows[0], q=rows[0].question)


@bp.route("/vragen/meldingen", methods=["GET", "POST"])
@provider_required
def notification_settings():
    form = NotificationsForm(data={"qa_notifications": current_user.qa_notifications})
    status = None
    if form.validate_on_submit():
        me = current_user._get_current_object()  # the User, not the proxy (audit)
        try:
            changed = attempt(lambda: qa.set_notifications(me, form.qa_notifications.data, by=me))
        except DomainError as exc:
            show_errors(form, exc)
        except Conflict as exc:
            form.form_errors.append(exc.message)
            status = 409
        else:  # "not changed" is news, not a success
            if not changed:
                flash(_("Uw keuze is niet veranderd."), "info")
            elif form.qa_notifications.data:
                flash(_("U krijgt voortaan een e-mail als er nieuwe vragen en antwoorden zijn "
                        "gepubliceerd."), "success")
            else:
                flash(_("U krijgt geen e-mail meer over nieuwe vragen en antwoorden."), "success")
            return redirect(url_for("qa.notification_settings"))
    status = status or (422 if form.errors else 200)
    return render_template("qa/notifications.html", form=form), status


# --- administrators ----------------------------------------------------------------------------

@bp.route("/beheer/vragen")
@admin_required
def admin_list():
    procedure = _procedure_or_404()
    shown = request.args.get("status", "alle")
    if shown not in ADMIN_FILTERS:
        shown = "alle"
    base = select(Question.id).where(Question.procedure_id == procedure.id)
    unanswered = Question.answered_at.is_(None)
    # Unanswered first, the oldest on top; then the answered ones, the newest on top. Each
    # part in its own query, served in order by its partial index (migration 0026).
    open_ids = base.where(unanswered).order_by(Question.asked_at, Question.id)
    answered = base.where(~unanswered).order_by(Question.asked_at.desc(), Question.id.desc())
    open_count, open_more = capped_count(base.where(unanswered))

    def load(page_ids):
        return _rows(Question.id.in_(page_ids))

    if shown == "alle":
        page = paginate_two(open_ids, answered, load, first_count=(open_count, open_more))
    elif shown == "open":
        page = paginate(open_ids, load)
    elif shown == "beantwoord":
        page = paginate(answered, load)
    else:  # published questions are answered ones
        page = paginate(answered.where(Question.published_at.is_not(None)), load)
    return render_template("qa/admin_list.html", page=page, shown=shown,
                           open_count=open_count, open_more=open_more)


def _admin_row(question_id: int) -> QuestionRow:
    rows = _rows(Question.id == question_id)
    if not rows:
        abort(404)
    return rows[0]


def _admin_page(row: QuestionRow, *, forms=None):
    q = row.question
    version = {"version": qa.version(q)}
    defaults = {
        "answer_form": lambda: AnswerForm(formdata=None, data={**version, "answer": q.answer}),
        "publish_form": lambda: PublishForm(formdata=None, data={
            **version,
            "public_question": q.public_question or q.body,
            "public_answer": q.public_answer or q.answer,
        }),
        "action_form": lambda: ActionForm(formdata=None, data=version),
    }
    forms = forms or {}
    context = {name: forms.get(name) or make() for name, make in defaults.items()}
    history = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == Question.__tablename__, AuditEvent.object_id == q.id)
        .options(joinedload(AuditEvent.actor))
        .order_by(AuditEvent.at, AuditEvent.id)
        .limit(200)
    ).all()
    return render_template("qa/admin_detail.html", row=row, q=q, history=history, **context)


@bp.route("/beheer/vragen/<int:question_id>")
@admin_required
def admin_detail(question_id):
    return _admin_page(_admin_row(question_id))


def _act(question_id, form, form_name, operation, success, anchor=""):
    """``portal.actions.button`` for a form on the question's page: ``operation(question,
    form)`` (under a row lock) may return a message instead of ``success``. Field errors
    show on the page; an expired or stale form and a refusal are a message on it."""
    question = db.session.get(Question, question_id, with_for_update=True)
    if question is None:
        abort(404)
    detail = url_for("qa.admin_detail", question_id=question_id)
    return button(form, lambda: operation(question, form),
                  success=lambda message: message or success, back=detail, done=detail + anchor,
                  invalid=lambda: _admin_page(_admin_row(question_id), forms={form_name: form}))


@bp.route("/beheer/vragen/<int:question_id>/antwoord", methods=["POST"])
@admin_required
def answer(question_id):
    def operation(question, form):
        if not qa.answer(question, form.answer.data, by=current_user,
                         expected_version=form.version.data):
            return _("Het antwoord is niet veranderd; er is geen e-mail verstuurd.")
        return None

    return _act(question_id, AnswerForm(), "answer_form", operation,
                _("Het antwoord is opgeslagen en per e-mail naar de vraagsteller gestuurd."),
                "#publiceren")


@bp.route("/beheer/vragen/<int:question_id>/publiceren", methods=["POST"])
@admin_required
def publish(question_id):
    def operation(question, form):
        was_published = qa.is_published(question)
        newly = qa.publish(question, form.public_question.data, form.public_answer.data,
                           by=current_user, expected_version=form.version.data)
        if newly:
            return None
        if was_published:
            return _("De gepubliceerde tekst is bijgewerkt.")  # or unchanged; nobody is mailed
        return None

    return _act(question_id, PublishForm(), "publish_form", operation,
                _("De vraag en het antwoord staan nu op de pagina Vragen en antwoorden. Wie "
                  "daarom vroeg, krijgt een e-mail."))


@bp.route("/beheer/vragen/<int:question_id>/publicatie-intrekken", methods=["POST"])
@admin_required
def unpublish(question_id):
    def operation(question, form):
        qa.unpublish(question, by=current_user, expected_version=form.version.data)

    return _act(question_id, ActionForm(), "action_form", operation,
                _("De vraag staat niet meer op de pagina Vragen en antwoorden."))
