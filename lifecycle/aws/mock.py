"""``lifecycle.aws.mock``: every botocore client of ``pinpoint-sms-voice-v2`` in the
process answered by the library, the way moto answers the services it knows.

While a mock is active, a request of such a client (one made before the mock started
included: a module-level client) is answered in process by the service of its
account and region, on the mock's one backend; every other service's requests go on
as before (to moto, when its ``mock_aws`` is active, in either nesting order, or to
AWS). When the last mock ends, the clients talk to their endpoint again.

The interception is at botocore's endpoint, before the ``before-send`` event that
moto's stubber listens to: requests are signed, serialised and parsed by botocore as
for AWS.
"""

from __future__ import annotations

import copy
import functools
import os
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from lifecycle.aws.accounts import Accounts
from lifecycle.aws.credentials import DEFAULT_ACCOUNT
from lifecycle.aws.protocol import handle
from lifecycle.backends.memory import InMemoryBackend
from lifecycle.errors import ValidationException
from lifecycle.policy import Policy
from lifecycle.ports import Backend
from lifecycle.reviewer import Reviewer
from lifecycle.scripted import ScriptedReviewer
from lifecycle.service import RegistrationService

SERVICE_NAME = "pinpoint-sms-voice-v2"
DEFAULT_REGION = "us-east-1"
F = TypeVar("F", bound=Callable[..., Any])

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/[^/]+/([^/]+)/")
"""The access key and the signing region of a SigV4 ``Authorization`` header."""
_TEST_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


class Mock:
    """The library behind every ``pinpoint-sms-voice-v2`` client of the process, while
    it is active: ``with lifecycle.aws.mock() as m:``, ``@lifecycle.aws.mock()``, or
    the pytest fixture ``lifecycle_aws``.

    Args:
        service: the service of the default account (``123456789012``) in
            ``us-east-1``; its backend, clock, catalogue and quotas serve every account
            and region. ``None``: a new one on ``backend``.
        backend: where every account's registrations live (``None``: a new
            in-memory backend); not with ``service``.
        policy: the scripted reviewer's :class:`~lifecycle.policy.Policy`, its
            dictionary, or a JSON or TOML file's path: every account's service gets a
            :class:`~lifecycle.scripted.ScriptedReviewer` of it.
        accounts: the account of each access key; any other key (moto's ``testing``,
            for one) is the default account ``123456789012``.

    Raises:
        ValidationException: an argument is malformed, or both ``service`` and
            ``backend`` are given.
    """

    def __init__(
        self,
        service: RegistrationService | None = None,
        backend: Backend | None = None,
        policy: object = None,
        accounts: Mapping[str, str] | None = None,
    ) -> None:
        if service is not None and backend is not None:
            raise ValidationException.for_field(
                "backend", "give a service or a backend, not both: the service has one"
            )
        if service is not None and not isinstance(service, RegistrationService):
            raise ValidationException.for_field("service", "must be a RegistrationService")
        self.policy = _policy(policy)
        self.scripted: dict[tuple[str, str], ScriptedReviewer] = {}
        """The scripted reviewer of each account and region's service (with a policy)."""
        if service is not None:
            backend = service.backend
        self.accounts = Accounts(
            InMemoryBackend() if backend is None else backend,
            clock=None if service is None else service.clock,
            registration_types=None if service is None else service.registration_types,
            setup=None if self.policy is None else self._script,
        )  # fmt: skip
        if service is not None:
            self.accounts.add(service)
        self._keys = dict(accounts or {})
        for key, account in self._keys.items():
            self.accounts.service(account, DEFAULT_REGION)  # refuses a malformed account
            if not isinstance(key, str) or not key:
                raise ValidationException.for_field("accounts", "keys must be access key ids")
        self._saved_env: dict[str, str | None] = {}

    def _script(self, service: RegistrationService) -> None:
        assert self.policy is not None
        self.scripted[(service.account_id, service.region)] = ScriptedReviewer(service, self.policy)

    def advance(self) -> int:
        """Make every scripted move that is due now, in every account and region (after
        the test advanced the clock); returns how many were made."""
        return sum(scripted.advance() for scripted in list(self.scripted.values()))

    @property
    def service(self) -> RegistrationService:
        """The default account's service in ``us-east-1``."""
        return self.service_for(DEFAULT_ACCOUNT, DEFAULT_REGION)

    @property
    def reviewer(self) -> Reviewer:
        """The reviewer of :attr:`service`."""
        return self.service.reviewer

    def service_for(self, account_id: str, region: str) -> RegistrationService:
        """The service of ``account_id`` in ``region``, on the mock's backend."""
        return self.accounts.service(account_id, region)

    def answer(self, request: Any) -> Any:
        """botocore's ``AWSResponse`` to a signed request of the service."""
        from botocore.awsrequest import AWSResponse

        from lifecycle.aws import _Raw

        authorization = request.headers.get("Authorization", b"")
        if isinstance(authorization, bytes):
            authorization = authorization.decode("latin-1")
        found = _CREDENTIAL.search(authorization)
        key, region = (found[1], found[2]) if found else ("", DEFAULT_REGION)
        service = self.service_for(self._keys.get(key, DEFAULT_ACCOUNT), region)
        target = request.headers.get("X-Amz-Target")
        if isinstance(target, bytes):
            target = target.decode()
        status, headers, body = handle(service, target, request.body)
        return AWSResponse(request.url, status, headers, _Raw(body))

    def __enter__(self) -> Mock:
        _install()
        with _LOCK:
            _ACTIVE.append(self)
            if len(_ACTIVE) == 1:  # clients need credentials to sign, as under moto
                self._saved_env = {k: os.environ.get(k) for k in _TEST_CREDENTIALS}
                for name, value in _TEST_CREDENTIALS.items():
                    os.environ.setdefault(name, value)
        return self

    def __exit__(self, *exc_info: object) -> None:
        with _LOCK:
            _ACTIVE.remove(self)
            for name, value in self._saved_env.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            self._saved_env = {}

    def __call__(self, function: F) -> F:
        """As a decorator: ``function`` runs inside this mock."""

        @functools.wraps(function)
        def run(*args: Any, **kwargs: Any) -> Any:
            with self:
                return function(*args, **kwargs)

        return run  # type: ignore[return-value]


def _policy(policy: object) -> Policy | None:
    """``policy`` as a Policy: given, read from a dictionary, or loaded from a path."""
    if policy is None or isinstance(policy, Policy):
        return policy
    if isinstance(policy, str | os.PathLike):
        return Policy.load(policy)
    return Policy.from_dict(policy)


def mock(
    service: RegistrationService | None = None,
    backend: Backend | None = None,
    policy: object = None,
    accounts: Mapping[str, str] | None = None,
) -> Mock:
    """A :class:`Mock` (a context manager and a decorator)."""
    return Mock(service, backend, policy, accounts)


_LOCK = threading.Lock()
_ACTIVE: list[Mock] = []
"""The active mocks; the innermost (last) answers."""
_INSTALLED: list[Callable[..., Any]] = []


def _install() -> None:
    """Route botocore's endpoints through :func:`_get_response`, once per process (it
    answers only while a mock is active)."""
    try:
        from botocore.endpoint import Endpoint
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise ImportError("lifecycle.aws.mock needs boto3: pip install 'lifecycle[aws]'") from exc
    with _LOCK:
        if _INSTALLED:
            return
        original = Endpoint._do_get_response
        _INSTALLED.append(original)

        def get_response(endpoint: Any, request: Any, operation_model: Any, context: Any) -> Any:
            active = _ACTIVE[-1] if _ACTIVE else None
            if active is None or operation_model.service_model.service_name != SERVICE_NAME:
                return original(endpoint, request, operation_model, context)
            # The same endpoint, whose before-send answers with the library's response
            # first (a copy: endpoints are shared between threads).
            answered = copy.copy(endpoint)
            answered._event_emitter = _Answering(endpoint._event_emitter, active, request)
            return original(answered, request, operation_model, context)

        Endpoint._do_get_response = get_response


class _Answering:
    """An event emitter whose ``before-send`` answers with the mock's response; every
    other event goes to the client's own emitter."""

    def __init__(self, emitter: Any, active: Mock, request: Any) -> None:
        self._emitter, self._mock, self._request = emitter, active, request

    def emit(self, event_name: str, **kwargs: Any) -> Any:
        if event_name.startswith("before-send."):
            return [(self.emit, self._mock.answer(self._request))]
        return self._emitter.emit(event_name, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._emitter, name)
