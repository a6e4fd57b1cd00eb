//! API keys: `<stem>_<env>_<32 base62>`, e.g. `copt_live_aB3xY9zKqMnPwR2vT4uH7jL5sQ8eFc1g`.
//!
//! The 32 characters are 26 random base62 characters (≈154 bits) followed by
//! 6 base62 characters of the CRC32 of everything before them, as GitHub's
//! tokens do: a mistyped or truncated key is refused by [`parse`] without any
//! database read. Keys are stored only as [`hash`] (SHA-256, hex) plus a
//! [`hint`] for display.

use crate::Product;
use rand::Rng;
use sha2::{Digest, Sha256};

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
pub const BODY_LEN: usize = 32;
const RANDOM_LEN: usize = 26;
const CHECKSUM_LEN: usize = BODY_LEN - RANDOM_LEN;

/// `live` keys act on real data; `test` keys are for sandboxes and CI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyEnv {
    Live,
    Test,
}

impl KeyEnv {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyEnv::Live => "live",
            KeyEnv::Test => "test",
        }
    }
}

impl std::str::FromStr for KeyEnv {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "live" => Ok(KeyEnv::Live),
            "test" => Ok(KeyEnv::Test),
            other => Err(format!("unknown key env {other:?} (live, test)")),
        }
    }
}

/// A key that passed the format and checksum check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedKey {
    pub product: Product,
    pub env: KeyEnv,
}

/// Why a token is not a well-formed key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyFormatError {
    #[error("unknown key prefix")]
    Prefix,
    #[error("key must have 32 base62 characters after the prefix")]
    Length,
    #[error("key checksum mismatch")]
    Checksum,
}

/// A new random key for `product` in `env`.
pub fn generate(product: Product, env: KeyEnv) -> String {
    let mut rng = rand::rng();
    let mut key = format!("{}_{}_", product.key_stem(), env.as_str());
    for _ in 0..RANDOM_LEN {
        key.push(BASE62[rng.random_range(0..62)] as char);
    }
    let checksum = encode_checksum(crc32fast::hash(key.as_bytes()));
    key.push_str(&checksum);
    key
}

/// Checks prefix, length, alphabet and checksum — no I/O.
pub fn parse(token: &str) -> Result<ParsedKey, KeyFormatError> {
    let mut parts = token.splitn(3, '_');
    let (Some(stem), Some(env), Some(body)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(KeyFormatError::Prefix);
    };
    let product = Product::ALL
        .into_iter()
        .find(|p| p.key_stem() == stem)
        .ok_or(KeyFormatError::Prefix)?;
    let env: KeyEnv = env.parse().map_err(|_| KeyFormatError::Prefix)?;
    if body.len() != BODY_LEN || !body.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(KeyFormatError::Length);
    }
    let (signed, checksum) = token.split_at(token.len() - CHECKSUM_LEN);
    if encode_checksum(crc32fast::hash(signed.as_bytes())) != checksum {
        return Err(KeyFormatError::Checksum);
    }
    Ok(ParsedKey { product, env })
}

/// SHA-256 of the whole key, lowercase hex: the only form a key is stored in.
pub fn hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// What may be shown of a key after minting: prefix and last four characters.
pub fn hint(token: &str) -> String {
    let prefix_len = token.len().saturating_sub(BODY_LEN);
    let tail = &token[token.len().saturating_sub(4)..];
    format!("{}…{}", &token[..prefix_len], tail)
}

fn encode_checksum(mut n: u32) -> String {
    let mut out = [b'0'; CHECKSUM_LEN];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    out.iter().map(|&b| b as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_parse_and_carry_their_product() {
        for product in Product::ALL {
            for env in [KeyEnv::Live, KeyEnv::Test] {
                let k = generate(product, env);
                assert_eq!(
                    k.len(),
                    product.key_stem().len() + env.as_str().len() + 2 + 32
                );
                assert_eq!(parse(&k), Ok(ParsedKey { product, env }));
            }
        }
    }

    #[test]
    fn every_single_character_typo_is_caught() {
        let k = generate(Product::Admin, KeyEnv::Live);
        let body_start = k.len() - BODY_LEN;
        for i in body_start..k.len() {
            for c in [b'0', b'a', b'Z', b'9'] {
                let mut typo = k.clone().into_bytes();
                if typo[i] == c {
                    continue;
                }
                typo[i] = c;
                let typo = String::from_utf8(typo).unwrap();
                assert_eq!(parse(&typo), Err(KeyFormatError::Checksum), "{typo}");
            }
        }
    }

    #[test]
    fn malformed_keys_are_classified() {
        assert_eq!(parse("Bearer"), Err(KeyFormatError::Prefix));
        assert_eq!(
            parse("abcd_live_aB3xY9zKqMnPwR2vT4uH7jL5sQ8eFc1g"),
            Err(KeyFormatError::Prefix)
        );
        assert_eq!(
            parse("copt_prod_aB3xY9zKqMnPwR2vT4uH7jL5sQ8eFc1g"),
            Err(KeyFormatError::Prefix)
        );
        assert_eq!(parse("copt_live_short"), Err(KeyFormatError::Length));
        assert_eq!(
            parse("copt_live_aB3xY9zKqMnPwR2vT4uH7jL5sQ8eFc1!"),
            Err(KeyFormatError::Length)
        );
    }

    #[test]
    fn hash_and_hint() {
        let k = "copt_live_aB3xY9zKqMnPwR2vT4uH7jL5sQ8eFc1g";
        assert_eq!(hash(k).len(), 64);
        assert_eq!(hash(k), hash(k));
        assert_eq!(hint(k), "copt_live_…Fc1g");
    }
}
