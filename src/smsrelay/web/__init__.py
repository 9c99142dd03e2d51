"""The web side: the client cabinet (``/lk/``) and the operator console (``/admin/``).

An adapter like ``api/``: it imports ``services`` and ``domain`` only; ``bootstrap`` mounts
:func:`smsrelay.web.app.web_routes` into the API's ASGI application.
"""
