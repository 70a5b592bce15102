//! Who is asking, as far as this server can vouch for it: the peer of the connection,
//! unless that peer is a proxy the settings name (`http.trusted_proxies`), whose
//! `X-Forwarded-For` then says whom it forwarded. A header anyone can send is believed
//! from no one else: not by the access log, not by the sign-in throttle.

use actix_web::{HttpRequest, web};
use std::net::IpAddr;

/// The proxies the settings trust, as the application's data.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub Vec<IpAddr>);

/// The client's address; empty when the connection has none (a Unix socket, a test).
pub fn address(req: &HttpRequest) -> String {
    let Some(peer) = req.peer_addr().map(|a| a.ip()) else { return String::new() };
    let trusted = req.app_data::<web::Data<TrustedProxies>>().map_or(&[][..], |proxies| &proxies.0[..]);
    forwarded_for(peer, trusted, req.headers().get_all("x-forwarded-for").filter_map(|v| v.to_str().ok())).to_string()
}

/// Walks back from `peer` through the proxies it trusts: the first address on the way
/// that is not one of them is the client. An address that does not parse ends the walk
/// at the last trusted hop, so nothing unreadable is believed.
fn forwarded_for<'a>(peer: IpAddr, trusted: &[IpAddr], headers: impl Iterator<Item = &'a str>) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let hops: Vec<&str> = headers.flat_map(|h| h.split(',')).map(str::trim).collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(address) if trusted.contains(&address) => client = address,
            Ok(address) => return address,
            Err(_) => return client,
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    #[test]
    fn a_forwarded_address_is_believed_only_from_a_trusted_proxy() {
        let proxy = ip("10.0.0.5");
        let header = ["203.0.113.7, 10.0.0.9"];
        // No proxy trusted: the peer, whatever the header says.
        assert_eq!(forwarded_for(ip("198.51.100.2"), &[], header.into_iter()), ip("198.51.100.2"));
        assert_eq!(forwarded_for(proxy, &[], header.into_iter()), proxy);
        // Trusted proxies are walked past, right to left, to the first address that is not one.
        assert_eq!(forwarded_for(proxy, &[proxy, ip("10.0.0.9")], header.into_iter()), ip("203.0.113.7"));
        assert_eq!(forwarded_for(proxy, &[proxy], header.into_iter()), ip("10.0.0.9"));
        // What a client wrote to the left of it does not move the answer.
        let spoofed = ["1.2.3.4, 203.0.113.7"];
        assert_eq!(forwarded_for(proxy, &[proxy], spoofed.into_iter()), ip("203.0.113.7"));
        assert_eq!(forwarded_for(proxy, &[proxy], ["not an address"].into_iter()), proxy);
        assert_eq!(forwarded_for(proxy, &[proxy], std::iter::empty()), proxy);
    }
}
