"""report_counts: the management report's counts kept by database triggers

Revision ID: 0023_report_counts
Revises: 0022_personal_data_indexes
Create Date: 2026-12-07 02:00:00.000000

The report (/beheer/rapportage) and two admin pages counted over every application,
link, decision and admission on each recompute. Now one row per figure and key holds
each count (``portal/reports/counts.py`` reads them), and triggers on the four source
tables keep the rows right for every writer: the ORM workflows, Core bulk statements,
foreign-key cascades. Each trigger removes a row's old contribution and adds its new
one (an upsert of -1 / +1); an UPDATE trigger fires only when a column that counts
changed. The figures (key1, key2):

- ``status``          application status, ''
- ``version``         catalogue_version_id, ''
- ``lead``            month of decided_at ('YYYY-MM'), calendar days submitted -> decided
                      (decided applications with both dates)
- ``category_status`` category_id, status of the application (one per link row)
- ``decisions``       month of approved_at, outcome: only the latest approved round of each
                      (application, category); a trigger takes the group's winner out
                      before a change and puts the winner after it back
- ``live_category``   category_id, admission status (live admissions only)
- ``live_org``        organisation_id, '' (live admissions of the organisation)
- ``live_orgs``       '', '': organisations with at least one live admission (changes when
                      an organisation's ``live_org`` goes 0 -> 1 or 1 -> 0)

A count may sit at 0; readers skip those rows. Row-at-a-time semantics are what the
triggers rely on: SQLite runs row triggers that way; on PostgreSQL they are BEFORE
triggers, whose statements see the rows processed earlier in the same statement (an
AFTER trigger of a multi-row INSERT would see all of them). Deleting an application
first deletes its category links (while the application, and so its status, is still
there); the cascade then finds none.

Beware: on SQLite, ``op.batch_alter_table`` on one of the four tables recreates it and
drops its triggers; such a migration must create them again (tests/test_report_counts.py
checks that they exist at head). ``flask report recount`` rebuilds the counts.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0023_report_counts"
down_revision = "0022_personal_data_indexes"
branch_labels = None
depends_on = None

LIVE = "('TOEGELATEN', 'ACTIEF', 'GESCHORST')"


class _Sql:
    """The few expressions that differ between SQLite and PostgreSQL."""

    def __init__(self, dialect: str):
        self.pg = dialect == "postgresql"

    def month(self, column: str) -> str:
        # SQLite stores 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC, as portal/reports/figures.py reads)
        return f"to_char({column}, 'YYYY-MM')" if self.pg else f"substr({column}, 1, 7)"

    def days(self, start: str, end: str) -> str:
        if self.pg:
            return f"(CAST({end} AS DATE) - CAST({start} AS DATE))"
        # julianday() is N.5 at midnight: +0.5 and truncation give the day number.
        return (f"(CAST(julianday({end}) + 0.5 AS INTEGER) "
                f"- CAST(julianday({start}) + 0.5 AS INTEGER))")

    @staticmethod
    def text(value: str) -> str:
        return f"CAST({value} AS TEXT)"

    def changed(self, a: str, b: str) -> str:
        return f"({a}) IS DISTINCT FROM ({b})" if self.pg else f"({a}) IS NOT ({b})"


def _upsert(select: str) -> str:
    """Add the (figure, key1, key2, n) rows of ``select`` (which has a WHERE: SQLite reads
    ON CONFLICT after a bare SELECT as a join) to the counts."""
    return (f"INSERT INTO report_counts (figure, key1, key2, n) {select} "
            "ON CONFLICT (figure, key1, key2) DO UPDATE SET n = report_counts.n + excluded.n")


def _groups(q: _Sql) -> list[dict]:
    """Each group: table, name, the statements that remove OLD's contribution and add
    NEW's, the events it fires on, and when an UPDATE matters."""
    t = q.text

    def simple(figure, key1, key2, where="true"):
        def make(r, sign):
            k1, k2, w = (x.replace("R.", f"{r}.") for x in (key1, key2, where))
            return [_upsert(f"SELECT '{figure}', {k1}, {k2}, {sign} WHERE {w}")]
        return make

    def both(make):
        return {"remove": make("OLD", -1), "add": make("NEW", 1)}

    def winner(r, with_row, sign):
        """The approved round with the highest number among the other rounds of r's
        (application, category), and r itself if ``with_row``."""
        rows = (f"SELECT d.round AS rnd, d.approved_at AS approved_at, d.outcome AS outcome "
                f"FROM category_decisions d WHERE d.application_id = {r}.application_id "
                f"AND d.category_id = {r}.category_id AND d.id <> {r}.id "
                f"AND d.approved_at IS NOT NULL")
        if with_row:
            rows += (f" UNION ALL SELECT {r}.round, {r}.approved_at, {r}.outcome "
                     f"WHERE {r}.approved_at IS NOT NULL")
        return _upsert(f"SELECT 'decisions', {q.month('w.approved_at')}, {t('w.outcome')}, {sign} "
                       f"FROM ({rows} ORDER BY rnd DESC LIMIT 1) w WHERE true")

    def org_count(r):
        return (f"COALESCE((SELECT c.n FROM report_counts c WHERE c.figure = 'live_org' "
                f"AND c.key1 = {t(r + '.organisation_id')} AND c.key2 = ''), 0)")

    def changed(*columns):
        return " OR ".join(q.changed(f"OLD.{c}", f"NEW.{c}") for c in columns)

    lead = simple("lead", q.month("R.decided_at"), t(q.days("R.submitted_at", "R.decided_at")),
                  "R.status = 'BESLOTEN' AND R.decided_at IS NOT NULL "
                  "AND R.submitted_at IS NOT NULL")

    def links(r, sign):
        return [_upsert(f"SELECT 'category_status', {t('l.category_id')}, {t(r + '.status')}, "
                        f"{sign} FROM application_categories l WHERE l.application_id = {r}.id")]

    def link(r, sign):
        return [_upsert(f"SELECT 'category_status', {t(r + '.category_id')}, {t('a.status')}, "
                        f"{sign} FROM applications a WHERE a.id = {r}.application_id")]

    all_events = ("insert", "delete", "update")
    return [
        dict(table="applications", name="rc_app_status", events=all_events,
             when=changed("status"), **both(simple("status", t("R.status"), "''"))),
        dict(table="applications", name="rc_app_version", events=all_events,
             when=changed("catalogue_version_id"),
             **both(simple("version", t("R.catalogue_version_id"), "''"))),
        dict(table="applications", name="rc_app_lead", events=all_events,
             when=changed("status", "decided_at", "submitted_at"), **both(lead)),
        # A status change moves the contribution of every link of the application.
        dict(table="applications", name="rc_app_links", events=("update",),
             when=changed("status"), **both(links)),
        # Before an application goes, its links go (their triggers read its status); the
        # ON DELETE CASCADE then finds none.
        dict(table="applications", name="rc_app_unlink", events=("delete",), when=None,
             remove=["DELETE FROM application_categories WHERE application_id = OLD.id"], add=[]),
        dict(table="application_categories", name="rc_link_status", events=all_events,
             when=changed("application_id", "category_id"), **both(link)),
        dict(table="category_decisions", name="rc_decisions", events=all_events,
             when=changed("approved_at", "outcome", "round", "application_id", "category_id"),
             remove=[winner("OLD", True, -1), winner("OLD", False, 1)],
             add=[winner("NEW", False, -1), winner("NEW", True, 1)]),
        dict(table="admissions", name="rc_live_category", events=all_events,
             when=changed("status", "category_id"),
             **both(simple("live_category", t("R.category_id"), t("R.status"),
                           f"R.status IN {LIVE}"))),
        dict(table="admissions", name="rc_live_org", events=all_events,
             when=(q.changed(f"OLD.status IN {LIVE}", f"NEW.status IN {LIVE}") + " OR "
                   + changed("organisation_id")),
             remove=[
                 _upsert(f"SELECT 'live_org', {t('OLD.organisation_id')}, '', -1 "
                         f"WHERE OLD.status IN {LIVE}"),
                 _upsert(f"SELECT 'live_orgs', '', '', -1 WHERE OLD.status IN {LIVE} "
                         f"AND {org_count('OLD')} = 0"),
             ],
             add=[
                 _upsert(f"SELECT 'live_orgs', '', '', 1 WHERE NEW.status IN {LIVE} "
                         f"AND {org_count('NEW')} = 0"),
                 _upsert(f"SELECT 'live_org', {t('NEW.organisation_id')}, '', 1 "
                         f"WHERE NEW.status IN {LIVE}"),
             ]),
    ]


def _fill(q: _Sql) -> list[str]:
    """The counts of the rows already there, one INSERT ... SELECT per figure."""
    t = q.text
    insert = "INSERT INTO report_counts (figure, key1, key2, n) "
    month = q.month("decided_at")
    days = q.days("submitted_at", "decided_at")
    decided = q.month("d.approved_at")
    return [
        insert + f"SELECT 'status', {t('status')}, '', count(*) FROM applications GROUP BY status",
        insert + (f"SELECT 'version', {t('catalogue_version_id')}, '', count(*) FROM applications "
                  "GROUP BY catalogue_version_id"),
        insert + (f"SELECT 'lead', {month}, {t(days)}, count(*) FROM applications "
                  "WHERE status = 'BESLOTEN' AND decided_at IS NOT NULL AND submitted_at IS NOT NULL "
                  f"GROUP BY {month}, {days}"),
        insert + (f"SELECT 'category_status', {t('l.category_id')}, {t('a.status')}, count(*) "
                  "FROM application_categories l JOIN applications a ON a.id = l.application_id "
                  "GROUP BY l.category_id, a.status"),
        insert + (f"SELECT 'decisions', {decided}, {t('d.outcome')}, count(*) "
                  "FROM category_decisions d WHERE d.approved_at IS NOT NULL AND NOT EXISTS ("
                  "SELECT 1 FROM category_decisions l WHERE l.application_id = d.application_id "
                  "AND l.category_id = d.category_id AND l.round > d.round "
                  f"AND l.approved_at IS NOT NULL) GROUP BY {decided}, d.outcome"),
        insert + (f"SELECT 'live_category', {t('category_id')}, {t('status')}, count(*) "
                  f"FROM admissions WHERE status IN {LIVE} GROUP BY category_id, status"),
        insert + (f"SELECT 'live_org', {t('organisation_id')}, '', count(*) "
                  f"FROM admissions WHERE status IN {LIVE} GROUP BY organisation_id"),
        insert + ("SELECT 'live_orgs', '', '', count(DISTINCT organisation_id) "
                  f"FROM admissions WHERE status IN {LIVE}"),
    ]


def _create_triggers(q: _Sql) -> None:
    for g in _groups(q):
        table, name = g["table"], g["name"]
        if q.pg:
            remove = "".join(f"        {s};\n" for s in g["remove"]) or "        NULL;\n"
            add = "".join(f"        {s};\n" for s in g["add"]) or "        NULL;\n"
            op.execute(f"""
CREATE FUNCTION {name}() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
{remove}    END IF;
    IF TG_OP <> 'DELETE' THEN
{add}    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql""")
            events = " OR ".join(e.upper() for e in g["events"] if e != "update")
            if events:
                op.execute(f"CREATE TRIGGER {name} BEFORE {events} ON {table} "
                           f"FOR EACH ROW EXECUTE FUNCTION {name}()")
            if "update" in g["events"]:
                op.execute(f"CREATE TRIGGER {name}_upd BEFORE UPDATE ON {table} FOR EACH ROW "
                           f"WHEN ({g['when']}) EXECUTE FUNCTION {name}()")
        else:
            def body(statements):
                return " ".join(f"{s};" for s in statements)
            if "insert" in g["events"]:
                op.execute(f"CREATE TRIGGER {name}_ins AFTER INSERT ON {table} FOR EACH ROW "
                           f"BEGIN {body(g['add'])} END")
            if "delete" in g["events"]:
                # The links go before their application (see the module's docstring).
                timing = "BEFORE" if name == "rc_app_unlink" else "AFTER"
                op.execute(f"CREATE TRIGGER {name}_del {timing} DELETE ON {table} FOR EACH ROW "
                           f"BEGIN {body(g['remove'])} END")
            if "update" in g["events"]:
                op.execute(f"CREATE TRIGGER {name}_upd AFTER UPDATE ON {table} FOR EACH ROW "
                           f"WHEN {g['when']} BEGIN {body(g['remove'] + g['add'])} END")


def upgrade():
    op.create_table(
        "report_counts",
        sa.Column("figure", sa.String(length=30), nullable=False),
        sa.Column("key1", sa.String(length=40), nullable=False),
        sa.Column("key2", sa.String(length=40), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("figure", "key1", "key2", name=op.f("pk_report_counts")),
    )
    q = _Sql(op.get_bind().dialect.name)
    for statement in _fill(q):
        op.execute(statement)
    _create_triggers(q)


def downgrade():
    q = _Sql(op.get_bind().dialect.name)
    for g in _groups(q):
        if q.pg:
            op.execute(f"DROP FUNCTION {g['name']}() CASCADE")  # and its triggers
        else:
            for suffix, event in (("_ins", "insert"), ("_del", "delete"), ("_upd", "update")):
                if event in g["events"]:
                    op.execute(f"DROP TRIGGER {g['name']}{suffix}")
    op.drop_table("report_counts")
