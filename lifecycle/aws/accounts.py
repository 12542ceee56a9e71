"""Many accounts and regions served from one backend.

``lifecycle serve`` answers each request as the account of its access key in its
signing region: :class:`Accounts` keeps one :class:`~lifecycle.RegistrationService`
per account and region, all on the same backend, which keeps their registrations,
idempotency records, quotas and page tokens apart.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping

from lifecycle.catalogue import Catalogue
from lifecycle.errors import ResourceNotFoundException, ValidationException
from lifecycle.ports import Backend
from lifecycle.service import Clock, RegistrationService
from lifecycle.validation import REGISTRATION_ID

MAX_CACHED = 1024
"""How many services are kept; beyond it the least recently used is made again on need."""


class Accounts:
    """The services of every account and region, on ``backend``.

    Args:
        backend: where every account's registrations live.
        clock, registration_types, quotas: as :class:`~lifecycle.RegistrationService`
            takes them; every account and region gets the same.
        setup: called with each service made (a scripted reviewer attaching itself).

    Raises:
        ValidationException: an option is malformed (named in the message).
    """

    def __init__(
        self,
        backend: Backend,
        *,
        clock: Clock | None = None,
        registration_types: Catalogue | Iterable[str] | None = None,
        quotas: Mapping[str, int] | None = None,
        setup: Callable[[RegistrationService], object] | None = None,
    ) -> None:
        self._setup = setup
        # The first service checks the options, and lends its registry to the others.
        first = RegistrationService(backend, clock, registration_types=registration_types,
                                    quotas=quotas)  # fmt: skip
        if setup is not None:
            setup(first)
        self.backend = backend
        self._clock = clock
        self._registration_types = first.registration_types
        self._quotas = quotas
        self._services: OrderedDict[tuple[str, str], RegistrationService] = OrderedDict()
        self._services[(first.account_id, first.region)] = first
        self._lock = threading.Lock()

    def service(self, account_id: str, region: str) -> RegistrationService:
        """The service of ``account_id`` in ``region``.

        Raises:
            ValidationException: ``account_id`` is not 12 digits, or ``region`` is not
                a region.
        """
        key = (account_id, region)
        with self._lock:
            service = self._services.get(key)
            if service is not None:
                self._services.move_to_end(key)
                return service
        service = RegistrationService(self.backend, self._clock, account_id, region,
                                      self._registration_types, self._quotas)  # fmt: skip
        with self._lock:
            known = self._services.get(key)
            if known is None and self._setup is not None:
                self._setup(service)
            service = self._services.setdefault(key, service)
            if len(self._services) > MAX_CACHED:
                self._services.popitem(last=False)
        return service

    def add(self, service: RegistrationService) -> None:
        """Serve ``service``'s account and region with ``service`` itself (it must use
        this backend); ``setup`` is called with it."""
        if service.backend is not self.backend:
            raise ValidationException.for_field("service", "must use the accounts' backend")
        if self._setup is not None:
            self._setup(service)
        with self._lock:
            self._services[(service.account_id, service.region)] = service

    def owner(self, registration: str) -> RegistrationService:
        """The service of the account and region that hold ``registration`` (an id or
        an ARN), whichever they are.

        Raises:
            ValidationException: ``registration`` is not a registration id or ARN.
            ResourceNotFoundException: no account holds it.
        """
        value = REGISTRATION_ID("RegistrationId", registration)
        if value.startswith("arn:"):
            parts = value.split(":", 5)
            if len(parts) == 6:
                try:
                    return self.service(parts[4], parts[3])
                except ValidationException:
                    pass  # names no account and region, so none holds it
        else:
            # The log knows the account and region a registration is stored under.
            first = self.backend.read_log(registration_id=value, limit=1)
            if first:
                return self.service(first[0].event.account_id, first[0].event.region)
        raise ResourceNotFoundException(
            f"Registration {value} not found.", resource_type="registration", resource_id=value
        )
