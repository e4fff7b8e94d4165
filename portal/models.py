"""Every model of the portal, for Alembic and for tests that need them all."""
from .accounts.models import Invitation, Organisation, OrgRole, Role, User  # noqa: F401
from .applications.models import Answer, Application, Document, Status  # noqa: F401
from .assessment.models import (  # noqa: F401
    CategoryDecision,
    CompletionItem,
    CompletionRequest,
    ConflictDeclaration,
    DecisionLetter,
    Outcome,
    Verdict,
    VerdictOutcome,
)
from .audit.models import AuditEvent  # noqa: F401
from .contentversion import ContentVersion  # noqa: F401
from .monitoring import models as _monitoring_models  # noqa: F401
from .notifications.models import MailStatus, MailTemplate, OutboxMail  # noqa: F401
from .oversight import models as _oversight_models  # noqa: F401
from .partners.models import (  # noqa: F401
    Admission,
    AdmissionStatus,
    Agreement,
    CapacityReport,
    EvidenceReview,
    ExpiryNotice,
    Suspension,
)
from .procedure.models import (  # noqa: F401
    CatalogueVersion,
    Category,
    ExtensionExercise,
    Procedure,
    ProcedureDocument,
    Product,
    Question,
    Region,
    Requirement,
    Tariff,
)
from .reports import models as _reports_models  # noqa: F401
