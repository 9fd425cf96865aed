"""Where the server may send HTTP: public addresses only, unless the deployment says otherwise.

Slack and webhook URLs are typed by managers and loaded from files. Unchecked, the worker
would post to the cloud metadata service, to Redis or PostgreSQL on localhost or to any
machine of the private network. So a URL is checked when it is saved (`check_url`) and
again at every send (`post`): then its host is resolved once, every address it resolves
to is checked, and the request goes to a checked address with the real host name in the
Host header and TLS (SNI and certificate), so a DNS answer that changes between the
check and the connection (DNS rebinding) cannot send the request elsewhere.

`OUTBOUND_ALLOWED_NETWORKS` (CIDRs) lets a deployment reach some non-public networks
(development and tests allow loopback, for local receivers); cloud metadata addresses
stay refused whatever it says.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import httpx
from django.conf import settings
from django.core.checks import CheckMessage, Error
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import URLValidator

from outgoing.clients import client_for

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

SETTING = "OUTBOUND_ALLOWED_NETWORKS"

# Instance metadata and credential services: whoever reaches them gets the machine's
# cloud credentials. Refused even inside an allowed network.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(address)
    for address in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle
        "fd00:ec2::254",  # AWS over IPv6
        "169.254.170.2",  # AWS ECS task credentials
        "169.254.170.23",  # AWS EKS Pod Identity
        "fd00:ec2::23",  # AWS EKS Pod Identity over IPv6
        "100.100.100.200",  # Alibaba Cloud
    )
)

# NAT64 gateways deliver an address of this prefix to the IPv4 address in its last 32 bits.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

_web_address = URLValidator(schemes=["http", "https"])


class OutboundRefused(Exception):
    """The server must not send to this URL; `message` says why, for a person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class HostNotFound(Exception):
    """The URL's host name does not resolve (now)."""


# ---------------------------------------------------------------------------- settings


def parse_networks(values: Iterable[str]) -> tuple[IPNetwork, ...]:
    """CIDRs as written in the setting; ValueError names the first one that is not."""
    networks = []
    for value in values:
        text = value.strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text))
        except ValueError as error:
            raise ValueError(
                f"'{text}' is not a network in CIDR notation ({error}){_hint(text)}"
            ) from None
    return tuple(networks)


def _hint(text: str) -> str:
    """For '10.1.2.3/8' (host bits set): the network that was probably meant."""
    try:
        return f"; did you mean {ipaddress.ip_network(text, strict=False)}?"
    except ValueError:
        return ""


@lru_cache(maxsize=8)
def _networks(values: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return parse_networks(values)


def allowed_networks() -> tuple[IPNetwork, ...]:
    try:
        return _networks(tuple(getattr(settings, SETTING, ())))
    except ValueError as error:
        raise ImproperlyConfigured(f"{SETTING}: {error}") from error


def check_allowed_networks(**kwargs: object) -> list[CheckMessage]:
    """System check: a mistyped network would otherwise surface at the first send."""
    try:
        parse_networks(getattr(settings, SETTING, ()))
    except ValueError as error:
        return [
            Error(
                f"{SETTING}: {error}",
                hint="Give comma-separated networks such as 10.20.0.0/16,fd12::/64, "
                "or leave it empty to allow public addresses only.",
                id="routing.E001",
            )
        ]
    return []


# ---------------------------------------------------------------------------- the policy


def _inner_forms(address: IPAddress) -> list[IPAddress]:
    """The address and the IPv4 addresses carried inside it, which a gateway delivers to
    (IPv4-mapped, 6to4, Teredo, NAT64)."""
    forms: list[IPAddress] = [address]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            forms.append(address.ipv4_mapped)
        if address.sixtofour:
            forms.append(address.sixtofour)
        if address.teredo:
            forms.extend(address.teredo)
        if address in _NAT64:
            forms.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return forms


def _kind(address: IPAddress) -> str | None:
    """What kind of non-public address this is, or None for a public one."""
    if address.is_loopback:
        return "a loopback address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if isinstance(address, ipaddress.IPv6Address) and address.is_site_local:
        return "a site-local address"
    if address.is_private:
        return "a private address"
    if address.is_reserved:
        return "a reserved address"
    if not address.is_global:  # e.g. 100.64.0.0/10, shared by carrier-grade NAT
        return "not a public address"
    return None


def address_refusal(address: IPAddress) -> str | None:
    """Why the server may not connect to `address` ("a private address"), or None."""
    forms = _inner_forms(address)
    if any(form in METADATA_ADDRESSES for form in forms):
        return "a cloud metadata address, which is never allowed"
    networks = allowed_networks()
    if any(form in network for form in forms for network in networks):
        return None
    for form in forms:
        kind = _kind(form)
        if kind is not None:
            return kind if form == address else f"{kind} ({form} inside it)"
    return None


def _parsed(url: str) -> httpx.URL:
    """The URL as the HTTP client will read it (one parser for the check and the send);
    refused when it is no web address or carries credentials."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as error:
        raise OutboundRefused(f"'{url}' is not a valid URL ({error}).") from error
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise OutboundRefused(f"'{url}' is not a web address (http:// or https://).")
    if parsed.userinfo:
        raise OutboundRefused(
            "A URL with a user name or password (user:password@) is refused: the server "
            "would hand them to whoever answers. Receivers verify the webhook signature "
            "instead."
        )
    return parsed


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _resolve(url: httpx.URL) -> tuple[IPAddress, ...]:
    """Every address the host resolves to, in the resolver's order of preference."""
    literal = _literal(url.host)
    if literal is not None:
        return (literal,)
    host = url.raw_host.decode("ascii")  # IDNA-encoded, as the resolver wants it
    try:
        infos = socket.getaddrinfo(host, url.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise HostNotFound(f"{url.host} does not resolve ({error})") from error
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise HostNotFound(f"{url.host} does not resolve")
    return tuple(addresses)


def _refuse_any(url: httpx.URL, addresses: tuple[IPAddress, ...]) -> None:
    for address in addresses:
        refusal = address_refusal(address)
        if refusal is None:
            continue
        where = (
            f"{address} is"
            if _literal(url.host) is not None
            else f"{url.host} resolves to {address},"
        )
        raise OutboundRefused(
            f"{where} {refusal}: the server sends only to public addresses "
            f"(not loopback, private, link-local, multicast or reserved ones). An "
            f"administrator can allow a network with {SETTING}."
        )


# ---------------------------------------------------------------------------- save time


def check_url(url: str) -> bool:
    """Raise ValidationError if the server must not send to `url`. Returns whether its
    host resolved: a name that does not resolve yet (its DNS may come later) is accepted
    here and checked again at every send."""
    try:
        _web_address(url)
        parsed = _parsed(url)
    except OutboundRefused as refused:
        raise ValidationError(refused.message, code="outbound_refused") from refused
    try:
        addresses = _resolve(parsed)
    except HostNotFound:
        return False
    try:
        _refuse_any(parsed, addresses)
    except OutboundRefused as refused:
        raise ValidationError(refused.message, code="outbound_refused") from refused
    return True


def validate_outgoing_url(url: str) -> None:
    """Model field validator for URLs the server posts to."""
    check_url(url)


def unresolved_host_warning(url: str) -> str | None:
    """For a manager saving `url`: a warning when its host does not resolve now."""
    try:
        if check_url(url):
            return None
    except ValidationError:
        return None  # refused: the form said so already
    host = httpx.URL(url).host
    return (
        f"The host {host} does not resolve now. The URL is saved, but messages to it "
        "fail until it does; each send checks the address again."
    )


# ---------------------------------------------------------------------------- send time


@dataclass(frozen=True)
class _Target:
    url: httpx.URL
    addresses: tuple[IPAddress, ...]

    def request_url(self, address: IPAddress) -> httpx.URL:
        return self.url.copy_with(host=str(address))

    @property
    def host_header(self) -> str:
        return self.url.netloc.decode("ascii")

    @property
    def extensions(self) -> dict[str, str]:
        # TLS names and verifies the real host, not the address connected to.
        if _literal(self.url.host) is None:
            return {"sni_hostname": self.url.raw_host.decode("ascii")}
        return {}


def _target(url: str) -> _Target:
    parsed = _parsed(url)
    addresses = _resolve(parsed)
    _refuse_any(parsed, addresses)
    return _Target(parsed, addresses)


def post(
    url: str, *, content: bytes, headers: dict[str, str], timeout: httpx.Timeout
) -> httpx.Response:
    """POST to `url` if the policy allows its every address, connecting to those checked
    addresses only (in the resolver's order, the next when one refuses the connection),
    over this process's kept connections to them (outgoing.clients).

    Raises OutboundRefused, HostNotFound or httpx.HTTPError. No redirects (a webhook URL
    is exact, and a redirect would go unchecked) and no proxy from the environment (a
    proxy would connect wherever it resolves the name).
    """
    target = _target(url)
    headers = {**headers, "Host": target.host_header}
    client = client_for(target.url)  # kept connections to this host's checked addresses
    *others, last = target.addresses
    for address in others:
        try:
            return _post_to(client, target, address, content, headers, timeout)
        except httpx.ConnectError:
            continue
    return _post_to(client, target, last, content, headers, timeout)


def _post_to(
    client: httpx.Client,
    target: _Target,
    address: IPAddress,
    content: bytes,
    headers: dict[str, str],
    timeout: httpx.Timeout,
) -> httpx.Response:
    return client.post(
        target.request_url(address),
        content=content,
        headers=headers,
        timeout=timeout,
        extensions=target.extensions,
    )
