"""How a client's address is counted by request limits and sign-in throttles."""

import ipaddress


def counted_address(address: str | None) -> str:
    """The address as counted: an IPv6 address by its /64 network (one subscriber usually holds
    a whole /64 and may use any address in it), an IPv4-mapped one as its IPv4 address."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return address or "unknown"
    if ip.version == 6 and ip.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip.ipv4_mapped or ip) if ip.version == 6 else str(ip)
