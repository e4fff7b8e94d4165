"""Requirement.category_ids and with_category_ids: the categories a requirement applies to,
read for a whole catalogue version in one statement without Category objects, the same as
the relationship says; applies_to answers from them."""
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.models import Category, Requirement
from portal.procedure.models import with_category_ids
from tests.test_scale import StatementCounter


def test_category_ids_match_the_relationship_and_cost_one_statement(app):
    with app.app_context():
        expected = {r.id: frozenset(c.id for c in r.categories) for r in db.session.scalars(
            select(Requirement).options(selectinload(Requirement.categories)))}
        category_ids = set(db.session.scalars(select(Category.id)))
        assert any(ids for ids in expected.values()) and any(not ids for ids in expected.values())
        db.session.expunge_all()
        requirements = db.session.scalars(select(Requirement)).all()
        with StatementCounter(db.engine) as counter:
            with_category_ids(requirements)
            found = {r.id: r.category_ids() for r in requirements}
            applies = {(r.id, c): r.applies_to({c}) for r in requirements for c in category_ids}
        assert counter.count == 1
        assert found == expected
        assert all("categories" not in r.__dict__ for r in requirements)  # never loaded
        assert applies == {(r.id, c): r.is_general or c in expected[r.id]
                           for r in requirements for c in category_ids}
        with_category_ids([])  # nothing to read: no statement, no error
