"""What the simulated carrier does with a submitted message, by the destination's last digits.

    ...9001  accepted, receipt UNDELIV (err 001, network_error_code GSM 0x0001)
    ...9002  accepted, receipt EXPIRED
    ...9003  refused at submit: submit_sm_resp ESME_RINVDSTADR (0x0B), no receipt
    ...9004  accepted, no receipt ever (query_sm answers DELIVERED: the receipt was lost)
    ...9005  ESME_RTHROTTLED on the first submit of that destination + text, then accepted, DELIVRD
    other    accepted, receipt DELIVRD

query_sm about an accepted message answers its final state (the receipt's, DELIVERED for
...9004); about an unknown id, ESME_RQUERYFAIL.

Also here: carrier message ids (hex or decimal) and the receipt deliver_sm's content.
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass
from datetime import datetime

from ..smpp import CommandStatus, MessageState, Pdu, SmppError, Tag, Tlv, format_receipt_text
from ..smpp.constants import DC_UCS2, ESM_RECEIPT, ESM_UDHI
from ..smpp.udh import split_udh

__all__ = [
    "DEFAULT_OUTCOME",
    "OUTCOMES",
    "IdFormat",
    "MessageIds",
    "Outcome",
    "outcome_for",
    "receipt_pdu_params",
]


class IdFormat(enum.StrEnum):
    HEX = "hex"
    DECIMAL = "decimal"


@dataclass(frozen=True, slots=True)
class Outcome:
    status: CommandStatus  # the submit_sm_resp status
    receipt: MessageState | None  # the final receipt's state; None = no receipt
    throttle_first: bool = False  # answer ESME_RTHROTTLED to the first try of a message
    error: int = 0  # the receipt's err: field and network_error_code


OUTCOMES: dict[str, Outcome] = {
    "9001": Outcome(CommandStatus.ESME_ROK, MessageState.UNDELIVERABLE, error=1),
    "9002": Outcome(CommandStatus.ESME_ROK, MessageState.EXPIRED),
    "9003": Outcome(CommandStatus.ESME_RINVDSTADR, None),
    "9004": Outcome(CommandStatus.ESME_ROK, None),
    "9005": Outcome(CommandStatus.ESME_ROK, MessageState.DELIVERED, throttle_first=True),
}
DEFAULT_OUTCOME = Outcome(CommandStatus.ESME_ROK, MessageState.DELIVERED)


def outcome_for(destination: str) -> Outcome:
    return OUTCOMES.get(destination[-4:], DEFAULT_OUTCOME)


class MessageIds:
    """Unique carrier ids; the counter starts from the clock so a restart never reuses one."""

    def __init__(self, id_format: IdFormat, start: int | None = None) -> None:
        self._format = id_format
        self._next = time.time_ns() // 1000 if start is None else start

    def next(self) -> str:
        n = self._next
        self._next += 1
        return format(n, "X") if self._format is IdFormat.HEX else str(n)


def _preview(request: Pdu) -> str:
    """The first characters of the submitted text, printable ASCII only (for ``text:``)."""
    body = request.bytes_param("short_message") if "short_message" in request.params else b""
    payload = request.tlv(Tag.MESSAGE_PAYLOAD)
    if not body and payload is not None:
        body = payload.value
    if request.int_param("esm_class") & ESM_UDHI:
        try:
            body = split_udh(body)[1]
        except SmppError:
            body = b""
    if request.int_param("data_coding") == DC_UCS2:
        text = body[: 40 - len(body) % 2].decode("utf-16-be", errors="replace")
    else:
        text = body[:20].decode("latin-1")
    return "".join(c if " " <= c <= "~" else "?" for c in text[:20])


def receipt_pdu_params(
    request: Pdu,
    message_id: str,
    state: MessageState,
    error: int,
    submitted: datetime,
    done: datetime,
) -> tuple[dict[str, str | int | bytes], tuple[Tlv, ...]]:
    """deliver_sm parameters and TLVs of the receipt for ``request`` (a submit_sm or data_sm)."""
    text = format_receipt_text(
        message_id, state, submitted=submitted, done=done, err=error, text=_preview(request)
    )
    tlvs = [Tlv.of_str(Tag.RECEIPTED_MESSAGE_ID, message_id), Tlv.of_int(Tag.MESSAGE_STATE, state)]
    if error:
        tlvs.append(Tlv(Tag.NETWORK_ERROR_CODE, bytes((3,)) + error.to_bytes(2, "big")))
    params: dict[str, str | int | bytes] = {
        "source_addr_ton": request.int_param("dest_addr_ton"),
        "source_addr_npi": request.int_param("dest_addr_npi"),
        "source_addr": request.str_param("destination_addr")[:20],
        "dest_addr_ton": request.int_param("source_addr_ton"),
        "dest_addr_npi": request.int_param("source_addr_npi"),
        "destination_addr": request.str_param("source_addr")[:20],
        "esm_class": ESM_RECEIPT,
        "short_message": text.encode("latin-1"),
    }
    return params, tuple(tlvs)
