"""smsrelay: a self-hosted A2P messaging platform.

Layers (top to bottom): ``cli`` -> ``bootstrap`` -> adapters (``api``, ``delivery``,
``simulator``, ``store``) -> ``services`` -> ``domain``; ``smpp`` and ``text`` are pure codecs
beside the domain.
"""

__version__ = "0.1.0"
