"""What the web side is given by ``bootstrap``: services only (never a store or a connector)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ..clock import Clock
from ..domain.pricing import PriceList
from ..services.admin import AdminService
from ..services.cabinet import CabinetService
from ..services.console import ConsoleService
from ..services.facade import Platform
from ..services.files import FileService
from ..services.senders import SenderRegistry
from ..services.web_access import WebAccessService
from .pages import Renderer
from .security import CookieSigner

__all__ = ["WebContext", "WebServices", "WebSettings"]


@dataclass(frozen=True, slots=True)
class WebServices:
    access: WebAccessService
    cabinet: CabinetService
    console: ConsoleService
    platform: Platform
    admin: AdminService
    senders: SenderRegistry
    files: FileService
    prices: Callable[[], Awaitable[PriceList]]
    clock: Clock
    registration: Any = None  # services.registration.RegistrationService (activation)
    reseller: Any = None  # services.reseller.ResellerService
    stop_list: Any = None  # services.stoplist.StopListService
    scheduled: Any = None  # services.scheduled.ScheduledService
    inbound: Any = None  # services.inbound.InboundService
    webhooks: Any = None  # services.webhooks.WebhookService
    routing: Any = None  # services.routing.RoutingAdmin
    bases: Any = None  # services.bases.BasesService
    tariffs: Any = None  # services.tariffs.TariffService (console tariffs page)
    smpp: Any = None  # services.smpp_cabinet.SmppCabinetService (None: no SMPP server)


@dataclass(frozen=True, slots=True)
class WebSettings:
    secret: bytes
    secure_cookies: bool = False
    default_lang: str = "ru"


@dataclass(frozen=True, slots=True)
class WebContext:
    services: WebServices
    settings: WebSettings
    signer: CookieSigner
    renderer: Renderer
