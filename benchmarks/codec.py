"""Micro-benchmark of the SMPP hot path (issue 10): what one message costs in the codec.

Times, for ``--count`` PDUs each (100,000 by default), the four steps every message takes on
an SMPP link: encoding its submit_sm (built once, numbered when sent), decoding the
submit_sm_resp, decoding the receipt's deliver_sm, parsing the receipt text and encoding the
deliver_sm_resp. CPU time of this process (``time.process_time``), best of ``--repeat`` runs,
so a busy machine disturbs it less; under ``valgrind --tool=callgrind`` use ``--repeat 1`` and
a smaller count and compare instruction counts.

    python benchmarks/codec.py
    python benchmarks/codec.py --count 100000 --repeat 5
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import UTC, datetime

from smsrelay.smpp import (
    CommandId,
    MessageState,
    Pdu,
    Tag,
    Tlv,
    encode,
    format_receipt_text,
    parse_receipt_text,
)
from smsrelay.smpp.codec import HEADER_SIZE, decode_body, parse_header


def fixtures() -> dict[str, object]:
    submit = Pdu.submit_sm(
        sequence=1,
        source_addr_ton=5,
        source_addr="Bench",
        dest_addr_ton=1,
        dest_addr_npi=1,
        destination_addr="79000012300",
        registered_delivery=1,
        short_message=b"Code 12345",
    )
    when = datetime(2026, 12, 6, 0, 30, tzinfo=UTC)
    text = format_receipt_text(
        "18F2A3B4C5D6", MessageState.DELIVERED, submitted=when, done=when, text="Code 12345"
    )
    deliver = Pdu.deliver_sm(
        sequence=77,
        source_addr_ton=1,
        source_addr_npi=1,
        source_addr="79000012300",
        destination_addr="Bench",
        esm_class=0x04,
        short_message=text.encode("latin-1"),
        tlvs=[
            Tlv(Tag.RECEIPTED_MESSAGE_ID, b"18F2A3B4C5D6\x00"),
            Tlv.of_int(Tag.MESSAGE_STATE, int(MessageState.DELIVERED), 1),
        ],
    )
    resp = Pdu.make(CommandId.SUBMIT_SM_RESP, 5, 0, (), message_id="18F2A3B4C5D6")
    return {"submit": submit, "deliver": encode(deliver), "resp": encode(resp), "text": text}


def split(data: bytes) -> tuple[int, int, int, bytes]:
    _, command_id, status, sequence = parse_header(data)
    return command_id, status, sequence, data[HEADER_SIZE:]


def steps(f: dict[str, object]) -> dict[str, Callable[[int], object]]:
    submit = f["submit"]
    assert isinstance(submit, Pdu)
    deliver = split(f["deliver"])  # type: ignore[arg-type]
    resp = split(f["resp"])  # type: ignore[arg-type]
    text = f["text"]
    assert isinstance(text, str)
    raw = text.encode("latin-1")

    def encode_submit(n: int) -> object:
        make = submit.with_sequence
        for i in range(n):
            encode(make(i + 1))
        return None

    def decode_resp(n: int) -> object:
        for _ in range(n):
            decode_body(*resp)
        return None

    def decode_deliver(n: int) -> object:
        for _ in range(n):
            decode_body(*deliver)
        return None

    def parse_receipt(n: int) -> object:
        for _ in range(n):
            parse_receipt_text(raw)
        return None

    def answer_deliver(n: int) -> object:
        pdu = decode_body(*deliver)
        for _ in range(n):
            encode(pdu.response(0, (), message_id=""))
        return None

    return {
        "encode submit_sm": encode_submit,
        "decode submit_sm_resp": decode_resp,
        "decode deliver_sm (receipt)": decode_deliver,
        "parse receipt text": parse_receipt,
        "encode deliver_sm_resp": answer_deliver,
    }


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    total = 0.0
    print(f"SMPP codec, {args.count:,} PDUs per step, best of {args.repeat} (CPU time)")
    for name, step in steps(fixtures()).items():
        best = float("inf")
        for _ in range(args.repeat):
            t0 = time.process_time()
            step(args.count)
            best = min(best, time.process_time() - t0)
        total += best
        print(f"  {name:<30} {best * 1e6 / args.count:8.2f} us/PDU", flush=True)
    print(f"  {'all five (one message)':<30} {total * 1e6 / args.count:8.2f} us/message")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
