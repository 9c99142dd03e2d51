"""HTTP API: the Webcom-compatible dialects over the ``Platform`` facade.

The web framework (Starlette) is imported in this package only.
"""

from .app import ApiSettings, create_app

__all__ = ["ApiSettings", "create_app"]
