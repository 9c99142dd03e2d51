"""query_sm / query_sm_resp (SMPP 3.4 §4.8): the layouts, bytes and round trips, and the
simulator's answers (a receipt the carrier never sent can still be asked for)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from smsrelay.simulator.smsc import Smsc
from smsrelay.smpp import CommandId, Pdu, decode, encode
from smsrelay.smpp.constants import CommandStatus, MessageState

from .conftest import raw_client
from .test_simulator import bound, submit

C = CommandId
_CSTR = st.text(alphabet=st.characters(min_codepoint=1, max_codepoint=127), max_size=20)


def test_query_sm_bytes() -> None:
    """§4.8.1: message_id, source_addr_ton, source_addr_npi, source_addr (C-strings, ints)."""
    pdu = Pdu.make(
        C.QUERY_SM, 7, message_id="1A2B", source_addr_ton=5, source_addr_npi=0, source_addr="Shop"
    )
    body = b"1A2B\x00" + b"\x05\x00" + b"Shop\x00"
    header = (
        (16 + len(body)).to_bytes(4, "big")
        + b"\x00\x00\x00\x03"
        + bytes(4)
        + (7).to_bytes(4, "big")
    )
    assert header + body == encode(pdu)


def test_query_sm_resp_bytes() -> None:
    """§4.8.2: message_id, final_date, message_state, error_code."""
    pdu = Pdu.make(
        C.QUERY_SM_RESP, 7, 0, (), message_id="1A2B", final_date="", message_state=2, error_code=0
    )
    body = b"1A2B\x00" + b"\x00" + b"\x02\x00"
    assert body == encode(pdu)[16:]
    assert MessageState.DELIVERED == decode(encode(pdu)).int_param("message_state")


@given(_CSTR, st.integers(0, 255), st.integers(0, 255), _CSTR, st.integers(0, 0x7FFFFFFF))
def test_query_sm_round_trip(mid: str, ton: int, npi: int, src: str, seq: int) -> None:
    """decode(encode(query_sm)) is the same PDU for any field values."""
    pdu = Pdu.make(
        C.QUERY_SM, seq, message_id=mid, source_addr_ton=ton, source_addr_npi=npi, source_addr=src
    )
    assert pdu == decode(encode(pdu))


@given(_CSTR, st.sampled_from(["", "261206001000000+"]), st.integers(0, 255), st.integers(0, 255))
def test_query_sm_resp_round_trip(mid: str, final: str, state: int, error: int) -> None:
    """decode(encode(query_sm_resp)) is the same PDU for any field values."""
    pdu = Pdu.make(
        C.QUERY_SM_RESP, 1, 0, (), message_id=mid, final_date=final, message_state=state,
        error_code=error,
    )  # fmt: skip
    assert pdu == decode(encode(pdu))


async def test_simulator_answers_query_sm_with_the_final_state(smsc: Smsc) -> None:
    """An accepted message's final state is told by query_sm: the receipt's state, and
    DELIVERED for ...9004 whose receipt is never sent (the carrier "lost" it)."""
    async with raw_client(smsc.port) as client:
        await bound(client)
        lost = await client.call(submit(2, "79001239004", registered_delivery=0))
        undeliv = await client.call(submit(3, "79001239001", registered_delivery=0))
        answers = [
            await client.call(
                Pdu.make(C.QUERY_SM, seq, message_id=r.str_param("message_id"), source_addr="Shop")
            )
            for seq, r in ((4, lost), (5, undeliv))
        ]
    assert [
        (C.QUERY_SM_RESP, CommandStatus.ESME_ROK, lost.str_param("message_id"), 2),
        (C.QUERY_SM_RESP, CommandStatus.ESME_ROK, undeliv.str_param("message_id"), 5),
    ] == [
        (a.command, a.status, a.str_param("message_id"), a.int_param("message_state"))
        for a in answers
    ]
    assert all(a.str_param("final_date") for a in answers)
