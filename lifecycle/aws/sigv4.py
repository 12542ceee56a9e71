"""Request signatures checked as AWS checks them: Signature Version 4.

:class:`Verifier` recomputes a request's signature with botocore's own signer, from the
headers the request names as signed, its body, the secret of its access key, its signing
region and the service name ``sms-voice``, and compares the two in constant time. The
request carries one ``Authorization`` header, with ``Credential``, ``SignedHeaders`` and
``Signature``, each once and nothing else. ``SignedHeaders`` names headers present on
the request, lowercase, sorted and each once; as AWS requires, they include ``host`` and
every ``content-type`` or ``x-amz-*`` header the request carries (``x-amz-date``,
``x-amz-target``...): none can be changed, the operation least, without breaking the
signature. The request's ``X-Amz-Date`` must be within 15 minutes of the server's clock.
A request that fails raises an :class:`AuthFailure` that answers AWS's error code:
``MissingAuthenticationTokenException`` (403), ``IncompleteSignatureException``,
``UnrecognizedClientException`` or ``InvalidSignatureException`` (400, as AWS's JSON
services answer them).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import quote

import attrs

from lifecycle.aws.credentials import Credentials
from lifecycle.aws.protocol import Response, error_response
from lifecycle.service import utc_now

ALGORITHM = "AWS4-HMAC-SHA256"
"""The one signing algorithm accepted."""

SERVICE_NAME = "sms-voice"
"""The service name in the credential scope (the signing name of pinpoint-sms-voice-v2)."""

MAX_SKEW = timedelta(minutes=15)
"""How far ``X-Amz-Date`` may be from the server's clock, either way (AWS: 15 minutes)."""

_PARAMETERS = ("Credential", "SignedHeaders", "Signature")
_ONCE = "it takes Credential, SignedHeaders and Signature, each once, in one Authorization header."

_TIMESTAMP = "%Y%m%dT%H%M%SZ"
_TIMESTAMP_SHAPE = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})T([0-9]{2})([0-9]{2})([0-9]{2})Z")
_HEADER_NAME = re.compile(r"[a-z0-9-]+")
_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service "
    "documentation for details."
)


class AuthFailure(Exception):
    """A request that is not signed as AWS requires; :meth:`answer` is AWS's answer."""

    code: ClassVar[str] = "AuthFailure"
    status: ClassVar[int] = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def answer(self) -> Response:
        """The error answer: status, headers and AWS's JSON error body."""
        return error_response(self.status, self.code, self.message)


class MissingAuthenticationToken(AuthFailure):
    """The request carries no ``Authorization`` header."""

    code = "MissingAuthenticationTokenException"
    status = 403


class IncompleteSignature(AuthFailure):
    """The ``Authorization`` header or ``X-Amz-Date`` is malformed or incomplete."""

    code = "IncompleteSignatureException"


class UnrecognizedClient(AuthFailure):
    """The access key (or a session token) is not one the server knows."""

    code = "UnrecognizedClientException"


class InvalidSignature(AuthFailure):
    """The signature is wrong, out of scope or outside the clock-skew window."""

    code = "InvalidSignatureException"


@attrs.frozen
class Caller:
    """Who signed a request: the access key, its account, and the signing region."""

    access_key_id: str
    account_id: str
    region: str


@attrs.frozen
class _Authorization:
    access_key_id: str
    date: str
    region: str
    service: str
    terminator: str
    signed_headers: tuple[str, ...]
    signature: str


class Verifier:
    """Checks the SigV4 signatures of requests against ``credentials``.

    Args:
        credentials: the access keys accepted.
        clock: the server's time, for the skew window; an aware datetime.
    """

    def __init__(self, credentials: Credentials, clock: Callable[[], datetime] = utc_now) -> None:
        _signer_class()  # fails now, not at the first request, without botocore
        from botocore.credentials import Credentials as BotoCredentials

        self.credentials = credentials
        self.clock = clock
        self._secrets = {
            key.access_key_id: BotoCredentials(key.access_key_id, key.secret_access_key)
            for key in credentials
        }

    def verify(self, environ: Mapping[str, Any], body: bytes) -> Caller:
        """Who signed the WSGI request ``environ`` with ``body``.

        Raises:
            AuthFailure: the request is not signed, or not validly, by a known key.
        """
        header = environ.get("HTTP_AUTHORIZATION")
        if not header:
            raise MissingAuthenticationToken("Missing Authentication Token")
        auth = _parse(header)
        key = self.credentials.get(auth.access_key_id)
        if key is None or environ.get("HTTP_X_AMZ_SECURITY_TOKEN") is not None:
            # No key of the server has a session token: one is never valid here.
            raise UnrecognizedClient("The security token included in the request is invalid.")
        amz_date = str(environ.get("HTTP_X_AMZ_DATE") or "")
        self._check_skew(amz_date, _check_scope(auth, amz_date))
        headers = _signed_headers(environ, auth.signed_headers)
        _check_required_signed(environ, auth.signed_headers)
        sha256 = headers.get("x-amz-content-sha256")
        if sha256 is not None and sha256 != hashlib.sha256(body).hexdigest():
            raise InvalidSignature(
                "The X-Amz-Content-SHA256 header does not match the SHA-256 of the body."
            )
        expected = self._signature(environ, auth, headers, body, amz_date)
        given = auth.signature.encode("utf-8", "replace")
        if not hmac.compare_digest(expected.encode(), given):
            raise InvalidSignature(_MISMATCH)
        return Caller(key.access_key_id, key.account_id, auth.region)

    def _check_skew(self, amz_date: str, moment: datetime) -> None:
        now = self.clock().astimezone(UTC)
        minutes = int(MAX_SKEW.total_seconds() // 60)
        if moment < now - MAX_SKEW:
            raise InvalidSignature(
                f"Signature expired: {amz_date} is now earlier than "
                f"{_stamp(now - MAX_SKEW)} ({_stamp(now)} - {minutes} min.)"
            )
        if moment > now + MAX_SKEW:
            raise InvalidSignature(
                f"Signature not yet current: {amz_date} is still later than "
                f"{_stamp(now + MAX_SKEW)} ({_stamp(now)} + {minutes} min.)"
            )

    def _signature(
        self,
        environ: Mapping[str, Any],
        auth: _Authorization,
        headers: dict[str, str],
        body: bytes,
        amz_date: str,
    ) -> str:
        from botocore.awsrequest import AWSRequest

        raw_path = str(environ.get("REQUEST_URI") or "").partition("?")[0]
        if not raw_path.startswith("/"):  # not waitress: rebuild the path as sent
            raw_path = quote(f"{environ.get('SCRIPT_NAME', '')}{environ.get('PATH_INFO', '/')}")
        query = environ.get("QUERY_STRING")
        # The host is a signed header; the URL only carries the path and the query.
        url = f"http://lifecycle{raw_path}" + (f"?{query}" if query else "")
        request = AWSRequest(environ["REQUEST_METHOD"], url, headers=headers, data=body)
        request.context["timestamp"] = amz_date
        signer = _signer_class()(self._secrets[auth.access_key_id], SERVICE_NAME, auth.region)
        canonical = signer.canonical_request(request)
        return str(signer.signature(signer.string_to_sign(request, canonical), request))


def _parse(header: str) -> _Authorization:
    scheme, _, rest = header.strip().partition(" ")
    if scheme != ALGORITHM:
        raise IncompleteSignature(
            f"Unsupported AWS 'algorithm': {_shown(scheme)}. The Authorization header must be "
            f"'{ALGORITHM} Credential=..., SignedHeaders=..., Signature=...' "
            "(Signature Version 4)."
        )
    # Each parameter once and no other: waitress joins a second Authorization header to
    # the first with ", ", and the joined value must be refused, not read as the first.
    params: dict[str, str] = {}
    for pair in rest.split(","):
        name, equals, value = pair.strip().partition("=")
        if not equals:
            raise IncompleteSignature(
                f"{_shown(pair.strip())} not a valid key=value pair (missing equal-sign) in "
                "Authorization header."
            )
        if name in params:
            raise IncompleteSignature(f"Authorization header gives {_shown(name)} twice; {_ONCE}")
        params[name] = value
    missing = [n for n in _PARAMETERS if not params.get(n)]
    if missing:
        raise IncompleteSignature(
            " ".join(f"Authorization header requires '{n}' parameter." for n in missing)
        )
    unknown = ", ".join(_shown(name) for name in params if name not in _PARAMETERS)
    if unknown:
        raise IncompleteSignature(f"Unknown parameters in Authorization header: {unknown}; {_ONCE}")
    scope = params["Credential"].split("/")
    if len(scope) != 5 or not all(scope):
        raise IncompleteSignature(
            f"Credential must be ACCESS_KEY_ID/YYYYMMDD/REGION/{SERVICE_NAME}/aws4_request, "
            f"got {_shown(params['Credential'])}."
        )
    key_id, date, region, service, terminator = scope
    signed = tuple(params["SignedHeaders"].split(";"))
    return _Authorization(key_id, date, region, service, terminator, signed, params["Signature"])


def _check_scope(auth: _Authorization, amz_date: str) -> datetime:
    """The time of ``amz_date`` (the request's ``X-Amz-Date``), checked with the
    credential scope."""
    if not amz_date:
        raise IncompleteSignature(
            "Authorization header requires existence of an 'X-Amz-Date' header."
        )
    shape = _TIMESTAMP_SHAPE.fullmatch(amz_date)
    try:
        if shape is None:
            raise ValueError
        year, month, day, hour, minute, second = map(int, shape.groups())
        moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        raise IncompleteSignature(
            "X-Amz-Date must be in the ISO 8601 basic format YYYYMMDD'T'HHMMSS'Z' "
            f"(20240131T235959Z), got {_shown(amz_date)}."
        ) from None
    if auth.date != amz_date[:8]:
        raise InvalidSignature(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            f"from HTTP: {_shown(auth.date)} != '{amz_date[:8]}', from 'x-amz-date'."
        )
    if auth.service != SERVICE_NAME:
        raise InvalidSignature(f"Credential should be scoped to correct service: '{SERVICE_NAME}'.")
    if auth.terminator != "aws4_request":
        raise InvalidSignature(
            "Credential should be scoped with a valid terminator: 'aws4_request', "
            f"not {_shown(auth.terminator)}."
        )
    return moment


def _signed_headers(environ: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, str]:
    """The values of the signed headers ``names``, read from the WSGI ``environ``."""
    # botocore sorts the names and drops repeats itself: check the list as it was sent.
    if list(names) != sorted(set(names)) or not all(map(_HEADER_NAME.fullmatch, names)):
        raise InvalidSignature(
            "SignedHeaders must be lowercase header names (letters, digits and dashes), "
            f"sorted, each once: got {_shown(';'.join(names))}."
        )
    headers = {}
    for name in names:
        key = name.upper().replace("-", "_")
        value = environ.get(key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}")
        if value is None:
            raise InvalidSignature(
                f"SignedHeaders names {_shown(name)}, which the request does not carry."
            )
        headers[name] = str(value)
    return headers


def _check_required_signed(environ: Mapping[str, Any], signed: tuple[str, ...]) -> None:
    """Refuses a request whose signature leaves out ``host``, or a ``content-type`` or
    ``x-amz-*`` header (``x-amz-date``, ``x-amz-target``...) that it carries: whoever
    captured it could change those (the operation, say) and keep the signature valid."""
    if "host" not in signed:
        raise InvalidSignature(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
        )
    # waitress drops header names with an underscore: each key names one header.
    carried = sorted(
        key.removeprefix("HTTP_").lower().replace("_", "-")
        for key in environ
        if key == "CONTENT_TYPE" or key.startswith("HTTP_X_AMZ_")
    )
    for name in carried:
        if name not in signed:
            raise InvalidSignature(f"'{name}' must be a 'SignedHeader' in the AWS Authorization.")


def _stamp(moment: datetime) -> str:
    return moment.strftime(_TIMESTAMP)


def _shown(value: str) -> str:
    """``value`` quoted for a message, cut to a readable length."""
    return repr(value if len(value) <= 64 else value[:61] + "...")


@functools.cache
def _signer_class() -> Any:
    """botocore's SigV4 signer, over exactly the headers the request signed (botocore's
    own picks every header it is given but a few it never signs, such as User-Agent,
    which another SDK may sign). Imported on first use: botocore is the server extra's."""
    try:
        from botocore.auth import SigV4Auth
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise ImportError(
            "lifecycle serve checks signatures with botocore: pip install 'lifecycle[server]'"
        ) from exc

    class ExactSigV4Auth(SigV4Auth):  # type: ignore[misc]
        def headers_to_sign(self, request: Any) -> Any:
            return request.headers

    return ExactSigV4Auth
