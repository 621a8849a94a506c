//! The client's address: the connection's peer, or, when the peer is a
//! trusted proxy, the nearest untrusted hop of the one forwarding header the
//! config names (`X-Forwarded-For` by default, or RFC 7239 `Forwarded`; the
//! other is never read, so a client-added copy changes nothing). Headers from
//! anyone else are ignored: a client cannot choose its address. IPv6 clients
//! are counted per prefix (a /64 by default), so rotating addresses inside
//! one allocation does not evade a limit.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::ConnectInfo;
use axum::http::HeaderMap;
use ipnet::IpNet;

/// The proxies whose forwarding headers are believed, which header they
/// set, and how IPv6 clients are grouped.
#[derive(Debug, Clone)]
pub(crate) struct TrustedProxies {
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
pub(crate) const DEFAULT_IPV6_PREFIX: u8 = 64;

/// The header a trusted proxy writes the client into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub(crate) enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1, ...`
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=client, for=proxy1`
    Forwarded,
}

/// A proxy setting of `server.quota` that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum ProxyConfigError {
    /// `forwarded_header` names neither header.
    #[error("{name:?} is not a forwarding header; one of: x-forwarded-for, forwarded")]
    Header {
        /// The header as written.
        name: String,
    },
    /// An entry of `trusted_proxies` is neither an address nor a network.
    #[error("{entry:?} is not an IP address or network")]
    Proxy {
        /// The entry as written.
        entry: String,
    },
    /// `ipv6_prefix` out of 1 to 128.
    #[error("{prefix} is not a prefix length from 1 to 128")]
    Ipv6Prefix {
        /// The length as written.
        prefix: u8,
    },
}

impl ForwardedHeader {
    /// `x-forwarded-for` or `forwarded` (any case).
    pub(crate) fn parse(name: &str) -> Result<ForwardedHeader, ProxyConfigError> {
        if name.eq_ignore_ascii_case("x-forwarded-for") {
            Ok(ForwardedHeader::XForwardedFor)
        } else if name.eq_ignore_ascii_case("forwarded") {
            Ok(ForwardedHeader::Forwarded)
        } else {
            Err(ProxyConfigError::Header {
                name: name.to_owned(),
            })
        }
    }
}

impl TrustedProxies {
    /// Parses addresses (`10.0.0.1`) and networks (`10.0.0.0/8`).
    pub(crate) fn parse(entries: &[String]) -> Result<TrustedProxies, ProxyConfigError> {
        let nets = entries
            .iter()
            .map(|e| {
                e.parse::<IpNet>()
                    .or_else(|_| e.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| ProxyConfigError::Proxy { entry: e.clone() })
            })
            .collect::<Result<_, _>>()?;
        Ok(TrustedProxies {
            nets,
            ..TrustedProxies::default()
        })
    }

    /// Reads the client from `header` (default `X-Forwarded-For`).
    pub(crate) fn with_header(mut self, header: ForwardedHeader) -> Self {
        self.header = header;
        self
    }

    /// Counts IPv6 clients per `/prefix` (1 to 128; default 64).
    pub(crate) fn with_ipv6_prefix(mut self, prefix: u8) -> Result<Self, ProxyConfigError> {
        if !(1..=128).contains(&prefix) {
            return Err(ProxyConfigError::Ipv6Prefix { prefix });
        }
        self.ipv6_prefix = prefix;
        Ok(self)
    }

    /// Whether `ip` is a trusted proxy (an IPv4-mapped IPv6 address is
    /// compared as its IPv4 address).
    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.nets.iter().any(|n| n.contains(&ip))
    }

    /// Who a request from `peer` with `headers` is counted as: its client
    /// address (an IPv6 one reduced to its prefix), or, when a trusted proxy
    /// forwarded a hop that is not an address, an unknown client behind
    /// that proxy.
    pub(crate) fn client(&self, peer: IpAddr, headers: &HeaderMap) -> ClientAddr {
        match self.client_address(peer, headers) {
            ClientAddr::Ip(IpAddr::V6(v6)) => ClientAddr::Ip(IpAddr::V6(
                ipnet::Ipv6Net::new(v6, self.ipv6_prefix).map_or(v6, |net| net.network()),
            )),
            other => other,
        }
    }

    /// The client of a request that came from `peer` with `headers`.
    fn client_address(&self, peer: IpAddr, headers: &HeaderMap) -> ClientAddr {
        let peer = canonical(peer);
        if !self.contains(peer) {
            return ClientAddr::Ip(peer);
        }
        // Hops, nearest first; stop at the first address we do not trust:
        // beyond it, anything may be forged.
        let mut client = ClientAddr::Ip(peer);
        let visit = |hop: &str| match (parse_hop(hop), client) {
            (Some(ip), _) => {
                client = ClientAddr::Ip(ip);
                self.contains(ip)
            }
            // A trusted proxy forwarded something that is not an address: a
            // client we cannot name, never the proxy itself (whose address
            // everyone behind it would then share).
            (None, ClientAddr::Ip(proxy)) => {
                unparseable_hop(proxy, hop);
                client = ClientAddr::Unknown { proxy };
                false
            }
            (None, ClientAddr::Unknown { .. }) => false,
        };
        match self.header {
            ForwardedHeader::XForwardedFor => x_forwarded_for(headers, visit),
            ForwardedHeader::Forwarded => forwarded_for(headers, visit),
        }
        client
    }
}

/// Who a request is counted as by the quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum ClientAddr {
    /// A client address (an IPv6 one reduced to its counting prefix).
    Ip(IpAddr),
    /// A trusted proxy forwarded a hop that is not an address (`unknown`,
    /// an obfuscated name, garbage): an untrusted client whose address is
    /// unknown, counted in a bucket of its own per proxy.
    Unknown {
        /// The trusted proxy that forwarded the hop.
        proxy: IpAddr,
    },
}

impl std::fmt::Display for ClientAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientAddr::Ip(ip) => ip.fmt(f),
            ClientAddr::Unknown { proxy } => write!(f, "unknown@{proxy}"),
        }
    }
}

/// Logs an unparseable hop (a WARN at most every [`HOP_LOG_EVERY_SECS`]
/// seconds, with how many were not logged before it): a proxy that
/// misbehaves is worth knowing about, a flood of its requests is not worth
/// a line each.
fn unparseable_hop(proxy: IpAddr, hop: &str) {
    static NEXT_LOG: AtomicU64 = AtomicU64::new(0);
    static UNLOGGED: AtomicU64 = AtomicU64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let next = NEXT_LOG.load(Ordering::Relaxed);
    if now < next
        || NEXT_LOG
            .compare_exchange(
                next,
                now + HOP_LOG_EVERY_SECS,
                Ordering::Relaxed,
                Ordering::Relaxed,
            )
            .is_err()
    {
        UNLOGGED.fetch_add(1, Ordering::Relaxed);
        return;
    }
    // At most 64 bytes of it, escaped (`?`): never a log line of its own.
    let shown = hop.get(..64).unwrap_or(hop);
    tracing::warn!(
        target: "webmethod::quota",
        proxy = %proxy,
        hop = ?shown,
        not_logged_before = UNLOGGED.swap(0, Ordering::Relaxed),
        "a trusted proxy forwarded a client that is not an address; counted as an unknown client behind that proxy",
    );
}

/// Seconds between two log lines about unparseable forwarded hops.
const HOP_LOG_EVERY_SECS: u64 = 10;

/// The peer of the connection, when the server records it (`App::serve` does).
pub(crate) fn peer(parts_extensions: &axum::http::Extensions) -> Option<IpAddr> {
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

/// `X-Forwarded-For` hops, nearest first (the last header's last hop
/// first), to `visit` until it answers `false`. Nothing is allocated.
fn x_forwarded_for(headers: &HeaderMap, mut visit: impl FnMut(&str) -> bool) {
    for value in headers.get_all("x-forwarded-for").iter().rev() {
        let Ok(value) = value.to_str() else {
            visit("<not visible ASCII>");
            return;
        };
        for hop in value.rsplit(',') {
            if !visit(hop.trim()) {
                return;
            }
        }
    }
}

/// RFC 7239 `for=` parameters, nearest first, to `visit` until it answers
/// `false`.
fn forwarded_for(headers: &HeaderMap, mut visit: impl FnMut(&str) -> bool) {
    for value in headers.get_all("forwarded").iter().rev() {
        let Ok(value) = value.to_str() else {
            visit("<not visible ASCII>");
            return;
        };
        for element in value.rsplit(',') {
            for pair in element.split(';') {
                if let Some((k, v)) = pair.trim().split_once('=')
                    && k.trim().eq_ignore_ascii_case("for")
                    && !visit(v.trim().trim_matches('"'))
                {
                    return;
                }
            }
        }
    }
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

    impl TrustedProxies {
        fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
            match self.client(peer, headers) {
                ClientAddr::Ip(ip) => ip,
                unknown => panic!("{unknown}"),
            }
        }
    }

    #[test]
    fn an_unparseable_hop_is_an_unknown_client_behind_the_proxy_that_sent_it() {
        let trusted = TrustedProxies::parse(&["10.0.0.0/8".into()]).unwrap();
        let unknown = |proxy: &str| ClientAddr::Unknown { proxy: ip(proxy) };
        for (value, expected) in [
            ("garbage", unknown("10.0.0.5")),
            ("", unknown("10.0.0.5")),
            ("203.0.113.7, ", unknown("10.0.0.5")),
            // Behind a second trusted proxy: that proxy's bucket.
            ("nonsense, 10.9.9.9", unknown("10.9.9.9")),
            // Beyond the first untrusted hop nothing is read.
            ("garbage, 203.0.113.7", ClientAddr::Ip(ip("203.0.113.7"))),
        ] {
            let h = headers(&[("x-forwarded-for", value)]);
            assert_eq!(trusted.client(ip("10.0.0.5"), &h), expected, "{value:?}");
        }
        // Two headers: the proxy's (last) is read first.
        let two = headers(&[
            ("x-forwarded-for", "203.0.113.1"),
            ("x-forwarded-for", "bogus"),
        ]);
        assert_eq!(trusted.client(ip("10.0.0.5"), &two), unknown("10.0.0.5"));
        let by_forwarded = trusted.with_header(ForwardedHeader::Forwarded);
        for value in ["for=unknown", "for=_hidden", "for=\"[::1\""] {
            let h = headers(&[("forwarded", value)]);
            assert_eq!(
                by_forwarded.client(ip("10.0.0.5"), &h),
                unknown("10.0.0.5"),
                "{value}"
            );
        }
        assert_eq!(unknown("10.0.0.5").to_string(), "unknown@10.0.0.5");
    }

    #[test]
    fn forwarded_headers_count_only_from_trusted_proxies() {
        let trusted = TrustedProxies::parse(&["10.0.0.0/8".into(), "192.168.1.1".into()]).unwrap();
        let xff = headers(&[("x-forwarded-for", "203.0.113.7, 10.1.1.1")]);
        assert_eq!(
            trusted.client_ip(ip("198.51.100.2"), &xff),
            ip("198.51.100.2"),
            "untrusted peer: headers ignored"
        );
        assert_eq!(trusted.client_ip(ip("10.0.0.5"), &xff), ip("203.0.113.7"));
        assert_eq!(
            trusted.client_ip(ip("::ffff:10.0.0.5"), &xff),
            ip("203.0.113.7"),
            "mapped v6 peer"
        );
        // A client forging a hop before the real one gets its real address.
        let forged = headers(&[("x-forwarded-for", "1.1.1.1, 203.0.113.7")]);
        assert_eq!(
            trusted.client_ip(ip("10.0.0.5"), &forged),
            ip("203.0.113.7")
        );
        let fwd = headers(&[(
            "forwarded",
            "for=\"[2001:db8::1]:443\";proto=https, for=10.2.2.2",
        )]);
        // X-Forwarded-For is the header read by default: Forwarded is not.
        assert_eq!(
            trusted.client_ip(ip("192.168.1.1"), &fwd),
            ip("192.168.1.1")
        );
        let by_forwarded = trusted.clone().with_header(ForwardedHeader::Forwarded);
        assert_eq!(
            by_forwarded.client_ip(ip("192.168.1.1"), &fwd),
            ip("2001:db8::")
        );
        assert_eq!(
            by_forwarded.client_ip(ip("10.0.0.5"), &xff),
            ip("10.0.0.5"),
            "with Forwarded chosen, X-Forwarded-For is not read"
        );
        let junk = headers(&[("x-forwarded-for", "not-an-ip")]);
        assert_eq!(
            trusted.client(ip("10.0.0.5"), &junk),
            ClientAddr::Unknown {
                proxy: ip("10.0.0.5")
            }
        );
        assert_eq!(
            trusted.client_ip(ip("10.0.0.5"), &HeaderMap::new()),
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
        assert_eq!(trusted.client_ip(ip("10.0.0.5"), &both), ip("203.0.113.7"));
        let trusted = trusted.with_header(ForwardedHeader::Forwarded);
        let both = headers(&[
            ("forwarded", "for=203.0.113.7"),
            ("x-forwarded-for", "198.51.100.99"),
        ]);
        assert_eq!(trusted.client_ip(ip("10.0.0.5"), &both), ip("203.0.113.7"));
        assert!(ForwardedHeader::parse("X-Forwarded-For").is_ok());
        assert!(ForwardedHeader::parse("x-real-ip").is_err());
    }

    #[test]
    fn ipv6_counted_per_prefix_mapped_v4_as_v4() {
        let none = TrustedProxies::default();
        let h = HeaderMap::new();
        assert_eq!(
            none.client_ip(ip("2001:db8:1:2:aaaa::1"), &h),
            ip("2001:db8:1:2::")
        );
        assert_eq!(
            none.client_ip(ip("2001:db8:1:2:ffff::9"), &h),
            none.client_ip(ip("2001:db8:1:2::1"), &h),
            "one /64, one counter"
        );
        assert_ne!(
            none.client_ip(ip("2001:db8:1:3::1"), &h),
            none.client_ip(ip("2001:db8:1:2::1"), &h)
        );
        assert_eq!(
            none.client_ip(ip("::ffff:203.0.113.7"), &h),
            ip("203.0.113.7")
        );
        let per_48 = TrustedProxies::default().with_ipv6_prefix(48).unwrap();
        assert_eq!(
            per_48.client_ip(ip("2001:db8:1:2::1"), &h),
            ip("2001:db8:1::")
        );
        let exact = TrustedProxies::default().with_ipv6_prefix(128).unwrap();
        assert_eq!(exact.client_ip(ip("2001:db8::1"), &h), ip("2001:db8::1"));
        assert!(TrustedProxies::default().with_ipv6_prefix(0).is_err());
        assert!(TrustedProxies::default().with_ipv6_prefix(129).is_err());
    }
}
