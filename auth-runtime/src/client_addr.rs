//! The client's address: the connection's peer, or, when the peer is a
//! trusted proxy, the nearest untrusted hop of the one forwarding header the
//! config names (`X-Forwarded-For` by default, or RFC 7239 `Forwarded`; the
//! other is never read, so a client-added copy changes nothing). Headers from
//! anyone else are ignored: a client cannot choose its address. IPv6 clients
//! are counted per prefix (a /64 by default), so rotating addresses inside
//! one allocation does not evade a limit.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::HeaderMap;
use ipnet::IpNet;

/// The proxies whose forwarding headers are believed, which header they
/// set, and how IPv6 clients are grouped.
#[derive(Debug, Clone)]
pub struct TrustedProxies {
    nets: Vec<IpNet>,
    header: ForwardedHeader,
    ipv6_prefix: u8,
}

impl Default for TrustedProxies {
    fn default() -> Self {
        TrustedProxies {
            nets: Vec::new(),
            header: ForwardedHeader::XForwardedFor,
            ipv6_prefix: DEFAULT_IPV6_PREFIX,
        }
    }
}

/// The IPv6 prefix length a client is counted by, unless configured: one
/// customer's allocation.
pub const DEFAULT_IPV6_PREFIX: u8 = 64;

/// The header a trusted proxy writes the client into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1, ...`
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=client, for=proxy1`
    Forwarded,
}

impl ForwardedHeader {
    /// `x-forwarded-for` or `forwarded` (any case).
    pub fn parse(name: &str) -> Result<ForwardedHeader, String> {
        if name.eq_ignore_ascii_case("x-forwarded-for") {
            Ok(ForwardedHeader::XForwardedFor)
        } else if name.eq_ignore_ascii_case("forwarded") {
            Ok(ForwardedHeader::Forwarded)
        } else {
            Err(format!(
                "{name:?} is not a forwarding header; one of: x-forwarded-for, forwarded"
            ))
        }
    }
}

impl TrustedProxies {
    /// Parses addresses (`10.0.0.1`) and networks (`10.0.0.0/8`).
    pub fn parse(entries: &[String]) -> Result<TrustedProxies, String> {
        let nets = entries
            .iter()
            .map(|e| {
                e.parse::<IpNet>()
                    .or_else(|_| e.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("{e:?} is not an IP address or network"))
            })
            .collect::<Result<_, _>>()?;
        Ok(TrustedProxies {
            nets,
            ..TrustedProxies::default()
        })
    }

    /// Reads the client from `header` (default `X-Forwarded-For`).
    pub fn with_header(mut self, header: ForwardedHeader) -> Self {
        self.header = header;
        self
    }

    /// Counts IPv6 clients per `/prefix` (1 to 128; default 64).
    pub fn with_ipv6_prefix(mut self, prefix: u8) -> Result<Self, String> {
        if !(1..=128).contains(&prefix) {
            return Err(format!("{prefix} is not a prefix length from 1 to 128"));
        }
        self.ipv6_prefix = prefix;
        Ok(self)
    }

    /// Whether `ip` is a trusted proxy (an IPv4-mapped IPv6 address is
    /// compared as its IPv4 address).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.nets.iter().any(|n| n.contains(&ip))
    }

    /// The address a request from `peer` with `headers` is counted under:
    /// its client, an IPv6 client reduced to its prefix.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        match self.client_address(peer, headers) {
            IpAddr::V6(v6) => IpAddr::V6(
                ipnet::Ipv6Net::new(v6, self.ipv6_prefix).map_or(v6, |net| net.network()),
            ),
            v4 => v4,
        }
    }

    /// The client of a request that came from `peer` with `headers`.
    fn client_address(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.contains(peer) {
            return peer;
        }
        // Hops, nearest last; walk from the nearest and stop at the first
        // address we do not trust: beyond it, anything may be forged.
        let hops = match self.header {
            ForwardedHeader::XForwardedFor => x_forwarded_for(headers),
            ForwardedHeader::Forwarded => forwarded_for(headers),
        };
        let mut client = peer;
        for hop in hops.into_iter().rev() {
            match hop {
                Some(ip) => {
                    client = ip;
                    if !self.contains(ip) {
                        break;
                    }
                }
                // An unparseable hop ends the trust chain at the last good one.
                None => break,
            }
        }
        client
    }
}

/// The peer of the connection, when the server records it (`App::serve` does).
pub fn peer(parts_extensions: &axum::http::Extensions) -> Option<IpAddr> {
    parts_extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| canonical(addr.ip()))
}

/// IPv4-mapped IPv6 addresses count as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn x_forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .flat_map(|v| {
            v.to_str()
                .unwrap_or(",")
                .split(',')
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .map(|s| parse_hop(s.trim()))
        .collect()
}

/// RFC 7239 `for=` parameters, in order.
fn forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let mut out = Vec::new();
    for value in headers.get_all("forwarded") {
        let Ok(value) = value.to_str() else {
            out.push(None);
            continue;
        };
        for element in value.split(',') {
            for pair in element.split(';') {
                if let Some((k, v)) = pair.trim().split_once('=')
                    && k.trim().eq_ignore_ascii_case("for")
                {
                    out.push(parse_hop(v.trim().trim_matches('"')));
                }
            }
        }
    }
    out
}

/// `1.2.3.4`, `1.2.3.4:80`, `[::1]`, `[::1]:80`, `::1`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Ok(addr) = hop.parse::<SocketAddr>() {
        return Some(canonical(addr.ip()));
    }
    hop.strip_prefix('[')
        .and_then(|h| h.split_once(']'))
        .and_then(|(ip, _)| ip.parse().ok())
        .map(canonical)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_headers_count_only_from_trusted_proxies() {
        let trusted = TrustedProxies::parse(&["10.0.0.0/8".into(), "192.168.1.1".into()]).unwrap();
        let xff = headers(&[("x-forwarded-for", "203.0.113.7, 10.1.1.1")]);
        assert_eq!(
            trusted.client(ip("198.51.100.2"), &xff),
            ip("198.51.100.2"),
            "untrusted peer: headers ignored"
        );
        assert_eq!(trusted.client(ip("10.0.0.5"), &xff), ip("203.0.113.7"));
        assert_eq!(
            trusted.client(ip("::ffff:10.0.0.5"), &xff),
            ip("203.0.113.7"),
            "mapped v6 peer"
        );
        // A client forging a hop before the real one gets its real address.
        let forged = headers(&[("x-forwarded-for", "1.1.1.1, 203.0.113.7")]);
        assert_eq!(trusted.client(ip("10.0.0.5"), &forged), ip("203.0.113.7"));
        let fwd = headers(&[(
            "forwarded",
            "for=\"[2001:db8::1]:443\";proto=https, for=10.2.2.2",
        )]);
        // X-Forwarded-For is the header read by default: Forwarded is not.
        assert_eq!(trusted.client(ip("192.168.1.1"), &fwd), ip("192.168.1.1"));
        let by_forwarded = trusted.clone().with_header(ForwardedHeader::Forwarded);
        assert_eq!(
            by_forwarded.client(ip("192.168.1.1"), &fwd),
            ip("2001:db8::")
        );
        assert_eq!(
            by_forwarded.client(ip("10.0.0.5"), &xff),
            ip("10.0.0.5"),
            "with Forwarded chosen, X-Forwarded-For is not read"
        );
        let junk = headers(&[("x-forwarded-for", "not-an-ip")]);
        assert_eq!(trusted.client(ip("10.0.0.5"), &junk), ip("10.0.0.5"));
        assert_eq!(
            trusted.client(ip("10.0.0.5"), &HeaderMap::new()),
            ip("10.0.0.5")
        );
        assert!(TrustedProxies::parse(&["nope".into()]).is_err());
    }

    #[test]
    fn one_header_only_a_client_added_copy_changes_nothing() {
        let trusted = TrustedProxies::parse(&["10.0.0.0/8".into()]).unwrap();
        // The proxy appends the real client to X-Forwarded-For; the client
        // added a Forwarded header of its own.
        let both = headers(&[
            ("x-forwarded-for", "203.0.113.7"),
            ("forwarded", "for=198.51.100.99"),
        ]);
        assert_eq!(trusted.client(ip("10.0.0.5"), &both), ip("203.0.113.7"));
        let trusted = trusted.with_header(ForwardedHeader::Forwarded);
        let both = headers(&[
            ("forwarded", "for=203.0.113.7"),
            ("x-forwarded-for", "198.51.100.99"),
        ]);
        assert_eq!(trusted.client(ip("10.0.0.5"), &both), ip("203.0.113.7"));
        assert!(ForwardedHeader::parse("X-Forwarded-For").is_ok());
        assert!(ForwardedHeader::parse("x-real-ip").is_err());
    }

    #[test]
    fn ipv6_counted_per_prefix_mapped_v4_as_v4() {
        let none = TrustedProxies::default();
        let h = HeaderMap::new();
        assert_eq!(
            none.client(ip("2001:db8:1:2:aaaa::1"), &h),
            ip("2001:db8:1:2::")
        );
        assert_eq!(
            none.client(ip("2001:db8:1:2:ffff::9"), &h),
            none.client(ip("2001:db8:1:2::1"), &h),
            "one /64, one counter"
        );
        assert_ne!(
            none.client(ip("2001:db8:1:3::1"), &h),
            none.client(ip("2001:db8:1:2::1"), &h)
        );
        assert_eq!(none.client(ip("::ffff:203.0.113.7"), &h), ip("203.0.113.7"));
        let per_48 = TrustedProxies::default().with_ipv6_prefix(48).unwrap();
        assert_eq!(per_48.client(ip("2001:db8:1:2::1"), &h), ip("2001:db8:1::"));
        let exact = TrustedProxies::default().with_ipv6_prefix(128).unwrap();
        assert_eq!(exact.client(ip("2001:db8::1"), &h), ip("2001:db8::1"));
        assert!(TrustedProxies::default().with_ipv6_prefix(0).is_err());
        assert!(TrustedProxies::default().with_ipv6_prefix(129).is_err());
    }
}
