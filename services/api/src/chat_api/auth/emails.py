"""Email addresses: checked and normalised by email-validator (syntax, IDNA, case of the domain; no DNS look-up),
and a canonical key under which look-alikes of one mailbox meet.

The key drops what most providers ignore when they deliver: the case of the local part, a `+tag`, and for
Gmail the dots of the local part (googlemail.com is gmail.com). Two addresses with one key are one person as
far as sign-up and sign-in are concerned: the second is refused at sign-up, and either finds the account at
sign-in, and counts against the same sign-in limits.
"""

import re
from dataclasses import dataclass
from typing import Final

from email_validator import EmailNotValidError, validate_email

from chat_api.auth.schemas import EMAIL_PATTERN
from chat_api.http.errors import ApiError

_EMAIL: Final = re.compile(EMAIL_PATTERN)
_GMAIL: Final = frozenset({"gmail.com", "googlemail.com"})


@dataclass(frozen=True)
class Email:
    address: str  # as stored and shown: lower-case, the domain without a trailing dot, IDNA decoded
    key: str  # one per mailbox: no +tag, no Gmail dots, the domain in ASCII


def normalise(email: str) -> Email:
    """The address and its key, or 422 saying what is wrong with it."""
    # The schema's pattern, as given (white space is not trimmed, it is refused), so the server takes exactly
    # what the schema says.
    if not _EMAIL.fullmatch(email):
        raise ApiError(422, "invalid_request", "email: must be an email address")
    # One trailing dot (the DNS root) names the same domain: the same address, not another account.
    candidate = email.lower().removesuffix(".")
    try:
        valid = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as error:
        raise ApiError(422, "invalid_request", f"email: must be an email address ({error})") from None
    domain = valid.ascii_domain.lower()
    local = valid.local_part.lower().split("+", 1)[0]
    if domain in _GMAIL:
        local, domain = local.replace(".", ""), "gmail.com"
    return Email(address=valid.normalized.lower(), key=f"{local}@{domain}")
