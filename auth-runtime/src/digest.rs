//! SHA-256, the one way a token or a principal becomes a key (of the API-key
//! map, the validation cache, a quota counter): never the secret itself.
//! aws-lc's implementation, already linked for JWT signatures: its assembly
//! takes a third of the instructions of a portable one on the request path.

/// The SHA-256 digest of `bytes`.
pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn is_sha256() {
        assert_eq!(
            hex::encode(super::sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
