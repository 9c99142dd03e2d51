"""SMPP 3.4 numbers as enums: command ids (§5.1.2.1), command statuses (§5.1.3), TLV tags
(§5.3.2), message states (§5.2.28) and the esm_class / data_coding bits the platform uses."""

from __future__ import annotations

import enum

__all__ = [
    "DC_GSM7",
    "DC_IA5",
    "DC_LATIN1",
    "DC_OCTETS",
    "DC_UCS2",
    "ESM_DEFAULT",
    "ESM_INTERMEDIATE",
    "ESM_RECEIPT",
    "ESM_SME_ACK",
    "ESM_TYPE_MASK",
    "ESM_UDHI",
    "INTERFACE_VERSION",
    "MAX_SEQUENCE",
    "CommandId",
    "CommandStatus",
    "MessageState",
    "Tag",
    "status_name",
]

INTERFACE_VERSION = 0x34
MAX_SEQUENCE = 0x7FFFFFFF  # §5.1.4: 0x00000001 .. 0x7FFFFFFF

# esm_class (§5.2.12)
ESM_DEFAULT = 0x00
ESM_TYPE_MASK = 0x3C  # bits 5..2: message type
ESM_RECEIPT = 0x04  # SMSC delivery receipt
ESM_SME_ACK = 0x08  # SME delivery acknowledgement
ESM_INTERMEDIATE = 0x20  # intermediate delivery notification
ESM_UDHI = 0x40  # short_message starts with a user data header

# data_coding (§5.2.19)
DC_GSM7 = 0x00  # SMSC default alphabet (GSM 03.38 on every carrier the platform targets)
DC_IA5 = 0x01
DC_OCTETS = 0x04  # 8-bit binary
DC_LATIN1 = 0x03
DC_UCS2 = 0x08


class CommandId(enum.IntEnum):
    GENERIC_NACK = 0x80000000
    BIND_RECEIVER = 0x00000001
    BIND_RECEIVER_RESP = 0x80000001
    BIND_TRANSMITTER = 0x00000002
    BIND_TRANSMITTER_RESP = 0x80000002
    QUERY_SM = 0x00000003
    QUERY_SM_RESP = 0x80000003
    SUBMIT_SM = 0x00000004
    SUBMIT_SM_RESP = 0x80000004
    DELIVER_SM = 0x00000005
    DELIVER_SM_RESP = 0x80000005
    UNBIND = 0x00000006
    UNBIND_RESP = 0x80000006
    REPLACE_SM = 0x00000007
    REPLACE_SM_RESP = 0x80000007
    CANCEL_SM = 0x00000008
    CANCEL_SM_RESP = 0x80000008
    BIND_TRANSCEIVER = 0x00000009
    BIND_TRANSCEIVER_RESP = 0x80000009
    OUTBIND = 0x0000000B
    ENQUIRE_LINK = 0x00000015
    ENQUIRE_LINK_RESP = 0x80000015
    ALERT_NOTIFICATION = 0x00000102
    DATA_SM = 0x00000103
    DATA_SM_RESP = 0x80000103

    @property
    def is_response(self) -> bool:
        return bool(self & 0x80000000)


class CommandStatus(enum.IntEnum):
    ESME_ROK = 0x00
    ESME_RINVMSGLEN = 0x01
    ESME_RINVCMDLEN = 0x02
    ESME_RINVCMDID = 0x03
    ESME_RINVBNDSTS = 0x04
    ESME_RALYBND = 0x05
    ESME_RINVPRTFLG = 0x06
    ESME_RINVREGDLVFLG = 0x07
    ESME_RSYSERR = 0x08
    ESME_RINVSRCADR = 0x0A
    ESME_RINVDSTADR = 0x0B
    ESME_RINVMSGID = 0x0C
    ESME_RBINDFAIL = 0x0D
    ESME_RINVPASWD = 0x0E
    ESME_RINVSYSID = 0x0F
    ESME_RCANCELFAIL = 0x11
    ESME_RREPLACEFAIL = 0x13
    ESME_RMSGQFUL = 0x14
    ESME_RINVSERTYP = 0x15
    ESME_RINVNUMDESTS = 0x33
    ESME_RINVDLNAME = 0x34
    ESME_RINVDESTFLAG = 0x40
    ESME_RINVSUBREP = 0x42
    ESME_RINVESMCLASS = 0x43
    ESME_RCNTSUBDL = 0x44
    ESME_RSUBMITFAIL = 0x45
    ESME_RINVSRCTON = 0x48
    ESME_RINVSRCNPI = 0x49
    ESME_RINVDSTTON = 0x50
    ESME_RINVDSTNPI = 0x51
    ESME_RINVSYSTYP = 0x53
    ESME_RINVREPFLAG = 0x54
    ESME_RINVNUMMSGS = 0x55
    ESME_RTHROTTLED = 0x58
    ESME_RINVSCHED = 0x61
    ESME_RINVEXPIRY = 0x62
    ESME_RINVDFTMSGID = 0x63
    ESME_RX_T_APPN = 0x64
    ESME_RX_P_APPN = 0x65
    ESME_RX_R_APPN = 0x66
    ESME_RQUERYFAIL = 0x67
    ESME_RINVOPTPARSTREAM = 0xC0
    ESME_ROPTPARNOTALLWD = 0xC1
    ESME_RINVPARLEN = 0xC2
    ESME_RMISSINGOPTPARAM = 0xC3
    ESME_RINVOPTPARAMVAL = 0xC4
    ESME_RDELIVERYFAILURE = 0xFE
    ESME_RUNKNOWNERR = 0xFF


def status_name(status: int) -> str:
    """``"ESME_RINVDSTADR (0x0000000B)"``; unknown (vendor) codes keep their number."""
    try:
        name = CommandStatus(status).name
    except ValueError:
        name = "vendor status"
    return f"{name} (0x{status:08X})"


class Tag(enum.IntEnum):
    """TLV tags the platform reads or writes (§5.3.2). Any other tag passes through as bytes."""

    RECEIPTED_MESSAGE_ID = 0x001E
    USER_MESSAGE_REFERENCE = 0x0204
    SOURCE_PORT = 0x020A
    DESTINATION_PORT = 0x020B
    SAR_MSG_REF_NUM = 0x020C
    SAR_TOTAL_SEGMENTS = 0x020E
    SAR_SEGMENT_SEQNUM = 0x020F
    SC_INTERFACE_VERSION = 0x0210
    NETWORK_ERROR_CODE = 0x0423
    MESSAGE_PAYLOAD = 0x0424
    MESSAGE_STATE = 0x0427


class MessageState(enum.IntEnum):
    """message_state TLV values (§5.2.28); the receipt ``stat:`` words map onto them."""

    ENROUTE = 1
    DELIVERED = 2
    EXPIRED = 3
    DELETED = 4
    UNDELIVERABLE = 5
    ACCEPTED = 6
    UNKNOWN = 7
    REJECTED = 8
