"""How a client's address is counted by request limits and sign-in throttles."""

import ipaddress

#: NAT64's well-known prefix (RFC 6052): each address in it stands for one IPv4 address.
NAT64 = ipaddress.ip_network("64:ff9b::/96")


def counted_address(address: str | None) -> str:
    """The address as counted: an IPv6 address by its /64 network (one subscriber usually holds
    a whole /64 and may use any address in it), but an IPv4-mapped or NAT64 one as the IPv4
    address it carries (every client behind a NAT64 gateway shares its /64) and the loopback
    as itself."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return address or "unknown"
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    if ip in NAT64:
        return str(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip.is_loopback:
        return str(ip)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False))
