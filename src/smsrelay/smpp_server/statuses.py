"""The one table from a refusal to the SMPP command_status a customer gets (docs/smpp-server.md).

Everything the platform refuses is answered here and never charged: the acceptance path
(``services.submit``) decides, this module only names the status.
"""

from __future__ import annotations

from ..domain.errors import RecipientError
from ..smpp import CommandStatus

__all__ = [
    "ACCOUNT_LOCKED",
    "NOT_APPROVED",
    "OUT_OF_MONEY",
    "REFUSAL_STATUS",
    "STOP_LIST",
    "status_for",
]

S = CommandStatus

# Vendor-specific statuses (SMPP 3.4 §5.1.3: 0x400-0x4FF are reserved for the SMSC vendor):
# one fixed code per refusal that SMPP 3.4 has no word for, so a customer can tell them apart.
OUT_OF_MONEY = 0x00000401  # the balance does not cover price x parts
STOP_LIST = 0x00000402  # the destination is on the account's stop list
NOT_APPROVED = 0x00000403  # the sender name is registered but not (yet) approved by moderation
ACCOUNT_LOCKED = 0x00000404  # the account was locked after it bound

#: RecipientError -> command_status of the submit_sm_resp
REFUSAL_STATUS: dict[RecipientError, int] = {
    RecipientError.NO_PHONE: S.ESME_RINVDSTADR,
    RecipientError.PHONE_TOO_LONG: S.ESME_RINVDSTADR,
    RecipientError.DESTINATION_CLOSED: S.ESME_RINVDSTADR,
    RecipientError.DESTINATION_CLOSED_FOR_YOU: S.ESME_RINVDSTADR,
    RecipientError.NO_SENDER: S.ESME_RINVSRCADR,
    RecipientError.SENDER_TOO_LONG: S.ESME_RINVSRCADR,
    RecipientError.NO_SUCH_SENDER: S.ESME_RINVSRCADR,
    RecipientError.SENDER_NOT_MODERATED: NOT_APPROVED,
    RecipientError.OUT_OF_MONEY: OUT_OF_MONEY,
    RecipientError.STOP_LIST: STOP_LIST,
    RecipientError.ACCOUNT_LOCKED: ACCOUNT_LOCKED,
    RecipientError.NO_TEXT: S.ESME_RINVMSGLEN,
    RecipientError.TOO_MANY_PARTS: S.ESME_RINVMSGLEN,
    RecipientError.TEXT_REJECTED: S.ESME_RSUBMITFAIL,
    RecipientError.PLATFORM_OUT_OF_SMS: S.ESME_RSUBMITFAIL,
    RecipientError.ALREADY_SENT: S.ESME_RSUBMITFAIL,
    RecipientError.NO_LINK: S.ESME_RSUBMITFAIL,
    RecipientError.VCARD_INCOMPLETE: S.ESME_RSUBMITFAIL,
}


def status_for(error: RecipientError) -> int:
    return REFUSAL_STATUS.get(error, S.ESME_RSUBMITFAIL)
