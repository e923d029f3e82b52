"""Where people reach the pages, for the links the pages mail (never a client's Host header)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from terminarz.settings import ServerSettings


@dataclass
class PublicAddress:
    """Where people reach the pages, for the links the pages mail: ``[server] base_url``, else
    the loopback address the server was bound to — never a client's Host header."""

    configured: str = ""
    bound: str = ""
    path: str = ""  # ``/o/<id>`` for one of many institutions (terminarz.links.site_path)

    def url(self) -> str:
        found = self.configured or self.bound
        return found + self.path if found else ""

    def bind(self, host: str, port: int) -> None:
        from terminarz.web.server import loopback_base_url

        if not self.configured:
            self.bound = loopback_base_url(host, port)


def public_url(address: PublicAddress | None, server: ServerSettings) -> str:
    """The address for links: the bound one under ``serve``, else ``base_url``, else the
    configured loopback host and port."""
    from terminarz.web.server import loopback_base_url

    if address is not None and address.url():
        return address.url()
    found = server.base_url or loopback_base_url(server.host, server.port)
    return found + address.path if address is not None and found else found
