"""What a request loads before its page: the signed-in user (with the organisation every
header names) and the application with what its pages read. Each in a fixed number of
statements; a provider's own organisation comes from the session, not from the database
a second time."""
import pytest
from flask_login import login_user
from sqlalchemy import select

from portal.accounts.models import load_signed_in
from portal.applications.views import load_application_for
from portal.extensions import db
from tests.conftest import ADMIN, PROVIDER, user
from tests.helpers import submitted_application
from tests.test_scale import StatementCounter


def _read_everything(application) -> None:
    """What the application's pages read of it."""
    assert application.organisation.name
    assert application.categories
    assert application.answers
    assert application.catalogue_version.requirements
    for requirement in application.catalogue_version.requirements:
        requirement.applies_to({c.id for c in application.categories})


def test_the_signed_in_user_comes_with_their_organisation(app):
    with app.app_context():
        provider_id = user(PROVIDER).id
        db.session.remove()
        with StatementCounter(db.engine) as counter:
            loaded = load_signed_in(provider_id)
            assert loaded.organisation.name  # no statement of its own
        assert counter.count == 1
        assert load_signed_in(-1) is None


@pytest.mark.parametrize("who, expected", [(PROVIDER, 5), (ADMIN, 5)])
def test_an_application_is_loaded_in_a_fixed_number_of_statements(app, who, expected):
    with app.app_context():
        application_id = submitted_application(user(PROVIDER), "pleegzorg", "leefgroepen").id
        who_id = user(who).id
        db.session.commit()
    with app.test_request_context():
        signed_in = load_signed_in(who_id)  # as the user loader does, before the page
        login_user(signed_in)
        with StatementCounter(db.engine) as counter:
            application = load_application_for(signed_in, application_id)
            _read_everything(application)
        # the application with (staff) its organisation; categories; answers with their
        # documents; the catalogue version's requirements; their categories' ids
        assert counter.count == expected, counter.statements


def test_a_published_versions_category_ids_are_read_once(app):
    """A published version's requirements keep their categories: after the first page
    they are not read again (one statement less on every application page)."""
    from portal.procedure.models import PUBLISHED_CATEGORY_IDS

    with app.app_context():
        application_id = submitted_application(user(PROVIDER), "pleegzorg", "leefgroepen").id
        provider_id = user(PROVIDER).id
        db.session.commit()
    counts, seen = [], []
    for _ in range(2):
        with app.test_request_context():
            signed_in = load_signed_in(provider_id)
            with StatementCounter(db.engine) as counter:
                application = load_application_for(signed_in, application_id)
                seen.append({r.id: r.category_ids() for r in application.catalogue_version.requirements})
            counts.append(counter.count)
    assert counts == [5, 4]  # the link table read the first time only
    assert seen[0] == seen[1] and any(seen[0].values())
    assert application.catalogue_version.published_at is not None
    assert application.catalogue_version.id in app.extensions[PUBLISHED_CATEGORY_IDS]


def test_a_drafts_category_ids_are_read_every_time(app):
    from portal.procedure.models import CatalogueVersion, Requirement, with_category_ids

    with app.app_context():
        version = db.session.scalar(select(CatalogueVersion).where(
            CatalogueVersion.published_at.is_not(None)))
        requirements = db.session.scalars(
            select(Requirement).where(Requirement.version_id == version.id)).all()
        version.published_at = None  # as a draft (neither written nor committed)
        with db.session.no_autoflush:
            for _ in range(2):
                with StatementCounter(db.engine) as counter:
                    with_category_ids(requirements, published=version)
                assert counter.count == 1
        db.session.rollback()
