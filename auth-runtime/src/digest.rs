//! The ways a token or a principal becomes a key (of the API-key map, the
//! validation cache, a quota counter): never the secret itself.
//!
//! - [`sha256`]: stable across processes, for keys that leave the process
//!   (quota counters in SQLite or Redis) and for `key_sha256` in configs.
//!   aws-lc's implementation, already linked for JWT signatures.
//! - [`TokenTags`]: SipHash-2-4 with a 128-bit output and a key drawn at
//!   startup, for keys that never leave the process (the API-key map, the
//!   validation cache). A keyed pseudo-random function gives these maps what
//!   they need from SHA-256 (a tag says nothing about its token; nobody can
//!   make two tokens collide) for a tenth of the instructions: without SHA
//!   instructions, SHA-256 of a token is the largest cost of an API-key
//!   request.

use std::hash::{BuildHasher, Hasher};

use siphasher::sip128::SipHasher24;

/// The SHA-256 digest of `bytes`.
pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// 128-bit tags of tokens under a secret key of this process.
#[derive(Clone)]
pub(crate) struct TokenTags {
    hasher: SipHasher24,
}

impl TokenTags {
    /// Tags under a fresh random key (the operating system's generator).
    pub(crate) fn new() -> TokenTags {
        let mut key = [0u8; 16];
        // Without randomness no secret is safe: refuse to run rather than
        // tag tokens under a predictable key.
        aws_lc_rs::rand::fill(&mut key).expect("the system random generator failed");
        TokenTags {
            hasher: SipHasher24::new_with_key(&key),
        }
    }

    /// The tag of `token`.
    #[inline]
    pub(crate) fn tag(&self, token: &[u8]) -> u128 {
        self.hasher.hash(token).into()
    }
}

/// Hashes a map keyed by [`TokenTags`] tags: a tag is already uniform and
/// secret, so its low 64 bits are the bucket hash (hashing it again would only
/// cost time).
#[derive(Clone, Copy, Default)]
pub(crate) struct TagHash;

impl BuildHasher for TagHash {
    type Hasher = TagHasher;
    fn build_hasher(&self) -> TagHasher {
        TagHasher(0)
    }
}

/// See [`TagHash`].
#[derive(Default)]
pub(crate) struct TagHasher(u64);

impl Hasher for TagHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write_u128(&mut self, tag: u128) {
        self.0 ^= tag as u64;
    }
    // Only tags are hashed; any other key still spreads (FNV-1a).
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_sha256() {
        assert_eq!(
            hex::encode(sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn tags_are_keyed_per_instance_and_stable_within_one() {
        let (a, b) = (TokenTags::new(), TokenTags::new());
        assert_eq!(a.tag(b"token"), a.tag(b"token"));
        assert_ne!(a.tag(b"token"), a.tag(b"token2"));
        // Two keys drawn at random: the same token gets unrelated tags.
        assert_ne!(a.tag(b"token"), b.tag(b"token"));
    }

    #[test]
    fn is_siphash_2_4_128() {
        // The reference vector of SipHash-2-4-128 (key 00..0f, empty input).
        let key: [u8; 16] = core::array::from_fn(|i| i as u8);
        let tags = TokenTags {
            hasher: SipHasher24::new_with_key(&key),
        };
        assert_eq!(
            tags.tag(b"").to_le_bytes(),
            [
                0xa3, 0x81, 0x7f, 0x04, 0xba, 0x25, 0xa8, 0xe6, 0x6d, 0xf6, 0x72, 0x14, 0xc7, 0x55,
                0x02, 0x93
            ]
        );
    }

    #[test]
    fn tag_hash_takes_the_low_bits() {
        let tag: u128 = (7 << 64) | 42;
        assert_eq!(TagHash.hash_one(tag), 42);
    }
}
