"""The money decision: order, balance, idempotency, refusals."""

from smsrelay.domain.acceptance import Accept, AcceptanceContext, Duplicate, Refuse, decide
from smsrelay.domain.errors import RecipientError
from smsrelay.domain.messages import NewMessage
from smsrelay.domain.money import Money
from smsrelay.domain.pricing import PriceEntry, PriceList
from smsrelay.domain.senders import SenderState

PRICES = PriceList(
    [PriceEntry("7", Money.parse("1"), "Russia"), PriceEntry("79", Money.parse("2"), "Mobile")]
)


def ctx(balance: str = "10", **kw: object) -> AcceptanceContext:
    base = dict(
        account_id=1,
        locked=False,
        any_sender=True,
        balance=Money.parse(balance),
        prices=PRICES,
        senders={},
        stopped=frozenset(),
        known_client_ids=frozenset(),
    )
    base.update(kw)
    return AcceptanceContext(**base)  # type: ignore[arg-type]


def msg(
    phone: str = "79001234567", parts: int = 1, client_id: str | None = None, sender: str = "S"
) -> NewMessage:
    return NewMessage(
        account_id=1, phone=phone, sender=sender, text="t", parts=parts, client_id_sms=client_id
    )


def test_longest_prefix_price_times_parts() -> None:
    """The charge is the longest-prefix price times the part count."""
    decisions, after = decide(ctx(), [msg(parts=3), msg(phone="7495")])
    assert [
        Accept(Money.parse("2"), Money.parse("6"), "Mobile"),
        Accept(Money.parse("1"), Money.parse("1"), "Russia"),
    ] == decisions
    assert Money.parse("3") == after.balance


def test_money_runs_out_in_order() -> None:
    """Recipients are decided in order; later ones fail when the money is gone."""
    decisions, after = decide(ctx("5"), [msg(), msg(), msg()])
    assert [Accept, Accept, Refuse] == [type(d) for d in decisions]
    assert Refuse(RecipientError.OUT_OF_MONEY) == decisions[2]
    assert Money.parse("1") == after.balance


def test_duplicates_answer_not_charge() -> None:
    """A known client id, or one repeated in the same request, is a duplicate."""
    decisions, after = decide(
        ctx(known_client_ids=frozenset({"a"})),
        [msg(client_id="a"), msg(client_id="b"), msg(client_id="b")],
    )
    assert [
        Duplicate("a"),
        Accept(Money.parse("2"), Money.parse("2"), "Mobile"),
        Duplicate("b"),
    ] == decisions
    assert "b" in after.known_client_ids


def test_refusals() -> None:
    """Locked, stop list, sender moderation, closed destination: each its own error."""
    assert [Refuse(RecipientError.ACCOUNT_LOCKED)] == decide(ctx(locked=True), [msg()])[0]
    assert [Refuse(RecipientError.STOP_LIST)] == decide(
        ctx(stopped=frozenset({"79001234567"})), [msg()]
    )[0]
    c = ctx(any_sender=False, senders={"Ok": SenderState.COMPLETED, "Wait": SenderState.ORDER})
    assert [Refuse(RecipientError.NO_SUCH_SENDER)] == decide(c, [msg(sender="Nope")])[0]
    assert [Refuse(RecipientError.SENDER_NOT_MODERATED)] == decide(c, [msg(sender="Wait")])[0]
    assert isinstance(decide(c, [msg(sender="Ok")])[0][0], Accept)
    assert [Refuse(RecipientError.DESTINATION_CLOSED)] == decide(ctx(), [msg(phone="4412345")])[0]
