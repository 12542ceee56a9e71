"""lifecycle: the AWS End User Messaging SMS registration lifecycle as explicit state machines.

Start with :class:`RegistrationService`; the machines are in :mod:`lifecycle.machines`.
"""

from lifecycle.backends.memory import InMemoryBackend
from lifecycle.catalogue import BUILT_IN_REGISTRATION_TYPES, Catalogue
from lifecycle.errors import (
    AccessDeniedException,
    ConflictException,
    InternalServerException,
    LifecycleError,
    OperationNotPageableError,
    ReentrantCallError,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
    ThrottlingException,
    ValidationException,
)
from lifecycle.events import TransitionEvent
from lifecycle.machines import (
    EVENTS,
    REGISTRATION_MACHINE,
    VERSION_MACHINE,
    EventSpec,
    TransitionSpec,
)
from lifecycle.models import (
    DeniedReason,
    Filter,
    Registration,
    RegistrationVersion,
    Tag,
    VersionStatusHistory,
)
from lifecycle.ports import Backend
from lifecycle.reviewer import Reviewer
from lifecycle.service import RegistrationService, utc_now
from lifecycle.statuses import Actor, RegistrationStatus, VersionStatus

__all__ = [
    "BUILT_IN_REGISTRATION_TYPES",
    "EVENTS",
    "REGISTRATION_MACHINE",
    "VERSION_MACHINE",
    "AccessDeniedException",
    "Actor",
    "Backend",
    "Catalogue",
    "ConflictException",
    "DeniedReason",
    "EventSpec",
    "Filter",
    "InMemoryBackend",
    "InternalServerException",
    "LifecycleError",
    "OperationNotPageableError",
    "ReentrantCallError",
    "Registration",
    "RegistrationService",
    "RegistrationStatus",
    "RegistrationVersion",
    "ResourceNotFoundException",
    "Reviewer",
    "ServiceQuotaExceededException",
    "Tag",
    "ThrottlingException",
    "TransitionEvent",
    "TransitionSpec",
    "ValidationException",
    "VersionStatus",
    "VersionStatusHistory",
    "utc_now",
]
