"""One immutable value type for every PDU: ``Pdu(command, sequence, status, params, tlvs)``.

``params`` always holds every mandatory field of the command's table (defaults filled in), so two
PDUs that encode to the same bytes compare equal. Values are checked against the table when a
PDU is built; a bad value raises :class:`FieldError` carrying the status the spec prescribes.

    Pdu.submit_sm(sequence=7, source_addr="ACME", destination_addr="79990001122",
                  short_message=b"hi", registered_delivery=1)
    req.response(message_id="5F2A")        # the paired response, same sequence
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from .constants import CommandId, CommandStatus
from .errors import FieldError, PduError, UnknownCommandError
from .pdu_tables import BODIES, RESPONSE_OF, Field, FieldKind, ParamValue
from .tlv import Tlv

__all__ = ["Pdu"]

_INT_LIMIT = {FieldKind.INT1: 0xFF, FieldKind.INT2: 0xFFFF, FieldKind.INT4: 0xFFFFFFFF}
_HIDDEN = frozenset({"password"})


def check_value(f: Field, value: object) -> ParamValue:
    """Return ``value`` if it is valid for the field, else raise :class:`FieldError`."""
    kind = f.kind
    if kind is FieldKind.CSTRING:
        if not isinstance(value, str):
            raise FieldError(f"{f.name} must be a str", f.status)
        if "\x00" in value:
            raise FieldError(f"{f.name} contains NUL", f.status)
        try:
            size = len(value.encode("latin-1")) + 1
        except UnicodeEncodeError as exc:
            raise FieldError(f"{f.name} is not an octet string", f.status) from exc
        if size > f.max:
            raise FieldError(f"{f.name} longer than {f.max - 1} octets", f.status)
        return value
    if kind is FieldKind.SM:
        if not isinstance(value, bytes):
            raise FieldError(f"{f.name} must be bytes", f.status)
        if len(value) > f.max:
            raise FieldError(f"{f.name} longer than {f.max} octets", f.status)
        return value
    if not isinstance(value, int) or isinstance(value, bool):
        raise FieldError(f"{f.name} must be an int", f.status)
    if not 0 <= value <= _INT_LIMIT[kind]:
        raise FieldError(f"{f.name} out of range: {value}", f.status)
    return value


def _command(command: int) -> CommandId:
    try:
        return CommandId(command)
    except ValueError as exc:
        raise UnknownCommandError(
            f"unknown command_id 0x{command:08X}", CommandStatus.ESME_RINVCMDID
        ) from exc


@dataclass(frozen=True, slots=True, repr=False)
class Pdu:
    command: CommandId
    sequence: int
    status: int = CommandStatus.ESME_ROK
    params: Mapping[str, ParamValue] = field(default_factory=dict)
    tlvs: tuple[Tlv, ...] = ()

    def __post_init__(self) -> None:
        command = _command(self.command)
        if not 0 <= self.sequence <= 0xFFFFFFFF:
            raise PduError(f"sequence out of range: {self.sequence}", CommandStatus.ESME_RSYSERR)
        if not 0 <= self.status <= 0xFFFFFFFF:
            raise PduError(
                f"command_status out of range: {self.status}", CommandStatus.ESME_RSYSERR
            )
        table = BODIES[command]
        names = {f.name for f in table}
        unknown = set(self.params) - names
        if unknown:
            raise FieldError(
                f"{command.name.lower()} has no parameter {sorted(unknown)[0]!r}",
                CommandStatus.ESME_RSYSERR,
            )
        values = {f.name: check_value(f, self.params.get(f.name, f.default)) for f in table}
        tlvs = tuple(self.tlvs)
        for t in tlvs:
            if not isinstance(t, Tlv):
                raise FieldError("tlvs must be Tlv values", CommandStatus.ESME_RINVOPTPARAMVAL)
        object.__setattr__(self, "command", command)
        object.__setattr__(self, "params", MappingProxyType(values))
        object.__setattr__(self, "tlvs", tlvs)

    @classmethod
    def from_wire(
        cls,
        command: CommandId,
        sequence: int,
        status: int,
        params: Mapping[str, ParamValue],
        tlvs: tuple[Tlv, ...],
    ) -> Pdu:
        """Build without re-checking: for the decoder, whose values are checked already."""
        pdu = object.__new__(cls)
        object.__setattr__(pdu, "command", command)
        object.__setattr__(pdu, "sequence", sequence)
        object.__setattr__(pdu, "status", status)
        object.__setattr__(pdu, "params", MappingProxyType(params))
        object.__setattr__(pdu, "tlvs", tlvs)
        return pdu

    def with_sequence(self, sequence: int) -> Pdu:
        """The same PDU under another sequence number, without re-checking its (already
        checked) fields: a connector builds a submit_sm once and numbers it when it sends."""
        if not 0 <= sequence <= 0xFFFFFFFF:
            raise PduError(f"sequence out of range: {sequence}", CommandStatus.ESME_RSYSERR)
        return Pdu.from_wire(self.command, sequence, self.status, self.params, self.tlvs)

    # --- construction --------------------------------------------------------------------

    @classmethod
    def make(
        cls,
        command: CommandId,
        sequence: int,
        status: int = CommandStatus.ESME_ROK,
        tlvs: Iterable[Tlv] = (),
        /,
        **params: ParamValue,
    ) -> Pdu:
        """Any command; parameters by name (positional-only header so names never clash)."""
        return cls(command, sequence, status, params, tuple(tlvs))

    @classmethod
    def bind(
        cls,
        command: CommandId,
        *,
        sequence: int,
        system_id: str,
        password: str,
        system_type: str = "",
        **params: ParamValue,
    ) -> Pdu:
        """bind_transmitter / bind_receiver / bind_transceiver (pass the command)."""
        if command not in (
            CommandId.BIND_TRANSMITTER,
            CommandId.BIND_RECEIVER,
            CommandId.BIND_TRANSCEIVER,
        ):
            raise PduError(f"{command.name} is not a bind", CommandStatus.ESME_RSYSERR)
        return cls.make(
            command,
            sequence,
            CommandStatus.ESME_ROK,
            (),
            system_id=system_id,
            password=password,
            system_type=system_type,
            **params,
        )

    @classmethod
    def submit_sm(cls, *, sequence: int, tlvs: Iterable[Tlv] = (), **params: ParamValue) -> Pdu:
        return cls.make(CommandId.SUBMIT_SM, sequence, CommandStatus.ESME_ROK, tlvs, **params)

    @classmethod
    def deliver_sm(cls, *, sequence: int, tlvs: Iterable[Tlv] = (), **params: ParamValue) -> Pdu:
        return cls.make(CommandId.DELIVER_SM, sequence, CommandStatus.ESME_ROK, tlvs, **params)

    @classmethod
    def data_sm(cls, *, sequence: int, tlvs: Iterable[Tlv] = (), **params: ParamValue) -> Pdu:
        return cls.make(CommandId.DATA_SM, sequence, CommandStatus.ESME_ROK, tlvs, **params)

    @classmethod
    def enquire_link(cls, sequence: int) -> Pdu:
        return cls(CommandId.ENQUIRE_LINK, sequence)

    @classmethod
    def unbind(cls, sequence: int) -> Pdu:
        return cls(CommandId.UNBIND, sequence)

    @classmethod
    def generic_nack(cls, sequence: int, status: int) -> Pdu:
        return cls(CommandId.GENERIC_NACK, sequence, status)

    def response(
        self,
        status: int = CommandStatus.ESME_ROK,
        tlvs: Iterable[Tlv] = (),
        /,
        **params: ParamValue,
    ) -> Pdu:
        """The response paired with this request (same sequence), per :data:`RESPONSE_OF`."""
        resp = RESPONSE_OF.get(self.command)
        if resp is None:
            raise PduError(
                f"{self.command.name.lower()} has no response", CommandStatus.ESME_RSYSERR
            )
        return Pdu.make(resp, self.sequence, status, tlvs, **params)

    # --- access --------------------------------------------------------------------------

    @property
    def is_response(self) -> bool:
        return self.command.is_response

    @property
    def ok(self) -> bool:
        return self.status == CommandStatus.ESME_ROK

    def __getitem__(self, name: str) -> ParamValue:
        return self.params[name]

    def str_param(self, name: str) -> str:
        value = self.params[name]
        if not isinstance(value, str):
            raise TypeError(f"{name} is not a string parameter")
        return value

    def int_param(self, name: str) -> int:
        value = self.params[name]
        if not isinstance(value, int):
            raise TypeError(f"{name} is not an integer parameter")
        return value

    def bytes_param(self, name: str) -> bytes:
        value = self.params[name]
        if not isinstance(value, bytes):
            raise TypeError(f"{name} is not an octet parameter")
        return value

    def tlv(self, tag: int) -> Tlv | None:
        """The first TLV with this tag, or ``None``."""
        for t in self.tlvs:
            if t.tag == tag:
                return t
        return None

    def __repr__(self) -> str:
        """Never shows passwords or message bodies (house rule: they stay out of logs)."""
        shown = []
        for name, value in self.params.items():
            if name in _HIDDEN:
                shown.append(f"{name}=***")
            elif isinstance(value, bytes):
                shown.append(f"{name}=<{len(value)} octets>")
            else:
                shown.append(f"{name}={value!r}")
        if self.tlvs:
            shown.append(
                "tlvs=[" + ", ".join(f"0x{t.tag:04X}:<{len(t.value)}>" for t in self.tlvs) + "]"
            )
        head = f"{self.command.name.lower()}, seq={self.sequence}, status=0x{self.status:08X}"
        return f"Pdu({', '.join([head, *shown])})"
