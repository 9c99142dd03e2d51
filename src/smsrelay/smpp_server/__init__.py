"""The customer SMPP server (issue 11): customers bind to smsrelay over SMPP 3.4 and get the same
platform as over HTTP. An adapter beside ``api/``: it imports ``services``, ``domain``, ``smpp``
and ``text``, never ``api``, ``delivery`` or ``store`` (``bootstrap`` wires it).

Modules: ``server`` (listening, binds, acceptance, the outbox pump), ``connection`` (one
customer connection around the sans-I/O session), ``messages`` (submit_sm read into a message),
``parts`` (long-message reassembly), ``deliveries`` (receipt and MO deliver_sm), ``statuses``
(the refusal -> command_status table), ``bind_status`` (the binds ``smsrelay status`` shows).
See docs/smpp-server.md.
"""

from .server import ServerSettings, SmppServer, Submitter

__all__ = ["ServerSettings", "SmppServer", "Submitter"]
