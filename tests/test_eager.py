"""portal.eager: collections filled by one statement built once give what SQLAlchemy's
selectin loading gives (the same objects, in the relationship's order), in one statement
for any number of parents, and leave a collection the session has loaded alone."""
import pytest
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from portal import eager
from portal.applications.models import Answer, Application
from portal.extensions import db
from portal.procedure.models import Category
from tests.conftest import PROVIDER, user
from tests.helpers import submitted_application
from tests.test_scale import StatementCounter


def _as_selectin_loads(model, relationship, ids, *options):
    """{parent id: [related ids]} as selectinload reads them, in a session of its own."""
    db.session.remove()
    rows = db.session.scalars(select(model).where(model.id.in_(ids))
                              .options(selectinload(relationship).options(*options))).all()
    found = {row.id: [r.id for r in getattr(row, relationship.key)] for row in rows}
    db.session.remove()
    return found


def test_many_to_many_in_the_relationships_order_for_many_parents(app):
    with app.app_context():
        provider = user(PROVIDER)
        # chosen out of the categories' order, and applications with one category
        ids = [submitted_application(provider, *codes).id for codes in (
            ("leefgroepen", "pleegzorg", "zelfstandigheidstraining"), ("gezinshuiszorg",),
            ("kleinschalige-woonvormen",))]
        db.session.commit()
        expected = _as_selectin_loads(Application, Application.categories, ids)
        spec = eager.collection(Application.categories)
        applications = db.session.scalars(select(Application).where(Application.id.in_(ids))).all()
        with StatementCounter(db.engine) as counter:
            eager.fill(db.session, applications, spec)
            found = {a.id: [c.id for c in a.categories] for a in applications}
        assert counter.count == 1
        assert found == expected
        # the relationship's order: the categories' position, not the order chosen
        positions = {c.id: c.position for c in db.session.scalars(select(Category))}
        for category_ids in found.values():
            assert [positions[i] for i in category_ids] == sorted(positions[i] for i in category_ids)
        assert len(found[ids[0]]) == 3 and len(found[ids[1]]) == 1


def test_one_to_many_with_options_on_the_related_objects(app):
    with app.app_context():
        application = submitted_application(user(PROVIDER), "pleegzorg", "leefgroepen")
        db.session.commit()
        application_id = application.id
        expected = _as_selectin_loads(Application, Application.answers, [application_id])
        spec = eager.collection(Application.answers, joinedload(Answer.document))
        application = db.session.get(Application, application_id)
        with StatementCounter(db.engine) as counter:
            eager.fill(db.session, [application], spec)
            answers = application.answers
            documents = [a.document.original_name for a in answers if a.document_id]
        assert counter.count == 1  # the documents came with the answers
        assert documents
        # the relationship has no order (selectinload's is the database's): the same answers
        assert sorted(a.id for a in answers) == sorted(expected[application_id])
        assert [a.id for a in answers] == sorted(a.id for a in answers)  # by id here
        assert all(a.application is application for a in answers)  # from the session


def test_a_loaded_collection_is_left_alone_and_nothing_is_read(app):
    with app.app_context():
        application = submitted_application(user(PROVIDER), "pleegzorg")
        db.session.commit()
        application = db.session.get(Application, application.id)
        changed = list(application.categories) + [db.session.scalars(
            select(Category).where(Category.code == "leefgroepen")).one()]
        application.categories = changed  # a change of this request, not yet flushed
        with StatementCounter(db.engine) as counter:
            eager.fill(db.session, [application], eager.collection(Application.categories))
        assert counter.count == 0
        assert application.categories == changed
        eager.fill(db.session, [], eager.collection(Application.categories))  # no parents


def test_only_collections(app):
    with pytest.raises(ValueError):
        eager.collection(Answer.application)
