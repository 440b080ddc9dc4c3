//! IP prefixes as resource types and fixed inputs.
//!
//! Network models hold prefixes (a loopback range, the /31 of a core link) as often as single
//! addresses. orchestrator-core types them with Python's `ipaddress.IPv4Network` and
//! `IPv6Network` (pydantic's `IPvAnyNetwork` for either) and stores `str()` of them:
//! `10.0.0.0/24`, `2001:db8::/32`. These types store the same strings and parse them as strictly
//! as Python does: a prefix with host bits set (`10.0.0.1/24`) is an error that names the
//! network that was probably meant, and an address without a length is a host prefix (`/32`,
//! `/128`).
//!
//! ```
//! use orch_core::{FieldValue, Ipv4Network, IpNetwork};
//!
//! let net: Ipv4Network = "10.0.0.0/24".parse().unwrap();
//! assert!(net.contains("10.0.0.7".parse().unwrap()));
//! assert_eq!(net.to_stored(), "10.0.0.0/24");
//! let err = Ipv4Network::from_stored("10.0.0.1/24").unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "`10.0.0.1/24` is not a valid IPv4Network: host bits are set; the network is 10.0.0.0/24"
//! );
//! assert!(matches!(IpNetwork::from_stored("2001:db8::/32"), Ok(IpNetwork::V6(_))));
//! ```

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use crate::value::{FieldValue, ValueError};

/// Why a string or an address and length are not a prefix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrefixError {
    /// The address part does not parse.
    #[error("`{0}` is not an address")]
    Address(String),
    /// The length part is not a number.
    #[error("`{0}` is not a prefix length")]
    Length(String),
    /// The length is longer than the address.
    #[error("the prefix length {len} is longer than {max}")]
    TooLong {
        /// The length given.
        len: u8,
        /// The address's bits.
        max: u8,
    },
    /// Bits below the prefix length are set, as in `10.0.0.1/24`.
    #[error("host bits are set; the network is {network}")]
    HostBits {
        /// The network with the host bits cleared, as text.
        network: String,
    },
}

macro_rules! prefix_type {
    ($(#[$doc:meta])* $name:ident, $addr:ty, $bits:ty, $max:literal, $type_name:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name {
            network: $addr,
            len: u8,
        }

        impl $name {
            /// The prefix `network/len`; fails when `len` is too long or `network` has bits set
            /// below `len`.
            pub fn new(network: $addr, len: u8) -> Result<Self, PrefixError> {
                if len > $max {
                    return Err(PrefixError::TooLong { len, max: $max });
                }
                let prefix = Self {
                    network: <$addr>::from(<$bits>::from(network) & Self::mask_bits(len)),
                    len,
                };
                if prefix.network == network {
                    Ok(prefix)
                } else {
                    Err(PrefixError::HostBits {
                        network: prefix.to_string(),
                    })
                }
            }

            /// The prefix of length `len` that contains `addr`, with the host bits cleared.
            pub fn containing(addr: $addr, len: u8) -> Result<Self, PrefixError> {
                if len > $max {
                    return Err(PrefixError::TooLong { len, max: $max });
                }
                Ok(Self {
                    network: <$addr>::from(<$bits>::from(addr) & Self::mask_bits(len)),
                    len,
                })
            }

            fn mask_bits(len: u8) -> $bits {
                <$bits>::MAX.checked_shl(u32::from($max - len)).unwrap_or(0)
            }

            /// The network address (the first address of the prefix).
            pub fn network(&self) -> $addr {
                self.network
            }

            /// The prefix length.
            pub fn prefix_len(&self) -> u8 {
                self.len
            }

            /// The netmask, e.g. `255.255.255.0` for a `/24`.
            pub fn netmask(&self) -> $addr {
                <$addr>::from(Self::mask_bits(self.len))
            }

            /// Whether `addr` lies within the prefix.
            pub fn contains(&self, addr: $addr) -> bool {
                <$bits>::from(addr) & Self::mask_bits(self.len) == <$bits>::from(self.network)
            }
        }

        impl fmt::Display for $name {
            /// `network/len`, as Python's `str()` writes it.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}/{}", self.network, self.len)
            }
        }

        impl FromStr for $name {
            type Err = PrefixError;

            /// `network/len`, or an address alone for a host prefix.
            fn from_str(s: &str) -> Result<Self, PrefixError> {
                let (addr, len) = match s.trim().split_once('/') {
                    Some((addr, len)) => (addr.trim(), Some(len.trim())),
                    None => (s.trim(), None),
                };
                let network: $addr = addr
                    .parse()
                    .map_err(|_| PrefixError::Address(addr.to_owned()))?;
                let len = match len {
                    Some(len) => len
                        .parse::<u8>()
                        .map_err(|_| PrefixError::Length(len.to_owned()))?,
                    None => $max,
                };
                Self::new(network, len)
            }
        }

        impl FieldValue for $name {
            const TYPE_NAME: &'static str = $type_name;
            fn to_stored(&self) -> String {
                self.to_string()
            }
            fn from_stored(s: &str) -> Result<Self, ValueError> {
                s.parse().map_err(|e| ValueError::new::<Self>(s, e))
            }
        }
    };
}

prefix_type!(
    /// An IPv4 prefix such as `10.0.0.0/24`, stored as Python's `IPv4Network` is.
    Ipv4Network,
    Ipv4Addr,
    u32,
    32,
    "IPv4Network"
);
prefix_type!(
    /// An IPv6 prefix such as `2001:db8::/32`, stored as Python's `IPv6Network` is.
    Ipv6Network,
    Ipv6Addr,
    u128,
    128,
    "IPv6Network"
);

/// An IPv4 or IPv6 prefix, stored as pydantic's `IPvAnyNetwork` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IpNetwork {
    /// An IPv4 prefix.
    V4(Ipv4Network),
    /// An IPv6 prefix.
    V6(Ipv6Network),
}

impl From<Ipv4Network> for IpNetwork {
    fn from(n: Ipv4Network) -> Self {
        IpNetwork::V4(n)
    }
}

impl From<Ipv6Network> for IpNetwork {
    fn from(n: Ipv6Network) -> Self {
        IpNetwork::V6(n)
    }
}

impl fmt::Display for IpNetwork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IpNetwork::V4(n) => n.fmt(f),
            IpNetwork::V6(n) => n.fmt(f),
        }
    }
}

impl FromStr for IpNetwork {
    type Err = PrefixError;

    /// An IPv6 prefix when the address has a `:`, else an IPv4 prefix.
    fn from_str(s: &str) -> Result<Self, PrefixError> {
        if s.contains(':') {
            s.parse().map(IpNetwork::V6)
        } else {
            s.parse().map(IpNetwork::V4)
        }
    }
}

impl FieldValue for IpNetwork {
    const TYPE_NAME: &'static str = "IPvAnyNetwork";
    fn to_stored(&self) -> String {
        self.to_string()
    }
    fn from_stored(s: &str) -> Result<Self, ValueError> {
        s.parse().map_err(|e| ValueError::new::<Self>(s, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(s: &str) -> Ipv4Network {
        s.parse().unwrap()
    }

    #[test]
    fn prefixes_store_what_python_stores() {
        for s in ["10.0.0.0/24", "0.0.0.0/0", "192.0.2.1/32", "10.0.0.0/31"] {
            assert_eq!(v4(s).to_stored(), s);
            assert_eq!(Ipv4Network::from_stored(s), Ok(v4(s)));
        }
        for s in ["2001:db8::/32", "::/0", "2001:db8::1/128", "fe80::/10"] {
            let n: Ipv6Network = s.parse().unwrap();
            assert_eq!(n.to_stored(), s);
            assert_eq!(IpNetwork::from_stored(s), Ok(IpNetwork::V6(n)));
        }
        // an address alone is a host prefix; whitespace is tolerated as Python does
        assert_eq!(v4("192.0.2.7").to_stored(), "192.0.2.7/32");
        assert_eq!(v4(" 10.1.0.0 / 16 ").to_stored(), "10.1.0.0/16");
        assert_eq!(
            IpNetwork::from_stored("2001:db8::").unwrap().to_stored(),
            "2001:db8::/128"
        );
    }

    #[test]
    fn bad_prefixes_say_why() {
        let msg = |s: &str| Ipv4Network::from_stored(s).unwrap_err().to_string();
        assert_eq!(
            msg("10.0.0.1/24"),
            "`10.0.0.1/24` is not a valid IPv4Network: host bits are set; the network is 10.0.0.0/24"
        );
        assert_eq!(
            msg("10.0.0.0/33"),
            "`10.0.0.0/33` is not a valid IPv4Network: the prefix length 33 is longer than 32"
        );
        assert_eq!(
            msg("10.0.0/24"),
            "`10.0.0/24` is not a valid IPv4Network: `10.0.0` is not an address"
        );
        assert_eq!(
            msg("10.0.0.0/x"),
            "`10.0.0.0/x` is not a valid IPv4Network: `x` is not a prefix length"
        );
        assert!(Ipv6Network::from_stored("2001:db8::1/32").is_err());
        assert!(IpNetwork::from_stored("2001:db8::/129").is_err());
    }

    #[test]
    fn prefix_arithmetic() {
        let n = v4("10.0.0.0/24");
        assert_eq!(n.netmask(), Ipv4Addr::new(255, 255, 255, 0));
        assert!(n.contains(Ipv4Addr::new(10, 0, 0, 255)));
        assert!(!n.contains(Ipv4Addr::new(10, 0, 1, 0)));
        assert_eq!(v4("0.0.0.0/0").netmask(), Ipv4Addr::UNSPECIFIED);
        assert!(v4("0.0.0.0/0").contains(Ipv4Addr::BROADCAST));
        assert_eq!(
            Ipv4Network::containing(Ipv4Addr::new(10, 0, 0, 9), 30).unwrap(),
            v4("10.0.0.8/30")
        );
        assert_eq!(n.prefix_len(), 24);
        assert_eq!(n.network(), Ipv4Addr::new(10, 0, 0, 0));
        let v6: Ipv6Network = "2001:db8::/126".parse().unwrap();
        assert!(v6.contains("2001:db8::3".parse().unwrap()));
        assert!(!v6.contains("2001:db8::4".parse().unwrap()));
    }
}
