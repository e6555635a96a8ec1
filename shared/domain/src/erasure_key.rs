//! The erasure keyring: the secret keys that a purge tombstone's keyed digest
//! of a person (HMAC-SHA256) is made with, kept apart from the data (GDPR's
//! pseudonymisation). Without the key, a tombstone's digest of `42` or
//! `user-1234` cannot be reversed by trying ids; an unkeyed digest could.
//!
//! The keyring is one JSON object, as Secrets Manager holds it: `current`
//! names the key new tombstones use, and every other member is a key, by its
//! id: `{"current": "k2", "k1": "…", "k2": "…"}`. Older keys stay while
//! tombstones made with them live, so rotating never loses one
//! (docs/operations.md, "Rotating the erasure key").

use crate::ids::ActorId;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::BTreeMap;
use std::fmt;

/// A key material shorter than this is refused: 32 bytes (the generated
/// keys are 64 alphanumeric characters).
pub const MIN_KEY_BYTES: usize = 32;
/// The member that names the current key.
pub const CURRENT: &str = "current";
/// What a key's check value is the HMAC of ([`ErasureKeyring::check_value`]).
const KEY_CHECK_CONSTANT: &[u8] = b"adoption-ledger erasure key check v1";

/// A key's id: 1 to 16 of `a-z`, `0-9` and `-`, so it never holds the `#`
/// a tombstone's key separates its parts with.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(String);

impl KeyId {
    pub fn parse(text: &str) -> Option<Self> {
        ((1..=16).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'))
        .then(|| Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a keyring could not be read. Never holds key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyringError {
    #[error("the erasure keyring is not a JSON object")]
    NotAnObject,
    #[error("the erasure keyring has no \"current\" member naming the key in use")]
    MissingCurrent,
    #[error("the erasure keyring's \"current\" names {0:?}, which is not one of its keys")]
    CurrentNotAKey(String),
    #[error("the erasure keyring member {0:?} is not a key id (1 to 16 of a-z, 0-9, -)")]
    BadKeyId(String),
    #[error("the erasure key {0:?} is not a string of at least {MIN_KEY_BYTES} bytes")]
    BadKey(String),
}

/// Key material: never printed.
#[derive(Clone, PartialEq, Eq)]
struct Secret(Vec<u8>);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({} bytes)", self.0.len())
    }
}

/// Every key a tombstone may have been made with, and the one in use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErasureKeyring {
    current: KeyId,
    keys: BTreeMap<KeyId, Secret>,
}

impl ErasureKeyring {
    /// Reads the keyring's JSON text (the secret's value).
    pub fn parse(text: &str) -> Result<Self, KeyringError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|_| KeyringError::NotAnObject)?;
        let object = value.as_object().ok_or(KeyringError::NotAnObject)?;
        let current = match object.get(CURRENT) {
            Some(serde_json::Value::String(id)) => id.clone(),
            _ => return Err(KeyringError::MissingCurrent),
        };
        let mut keys = BTreeMap::new();
        for (name, material) in object.iter().filter(|(name, _)| *name != CURRENT) {
            let id = KeyId::parse(name).ok_or_else(|| KeyringError::BadKeyId(name.clone()))?;
            let material = material
                .as_str()
                .filter(|m| m.len() >= MIN_KEY_BYTES)
                .ok_or_else(|| KeyringError::BadKey(name.clone()))?;
            keys.insert(id, Secret(material.as_bytes().to_vec()));
        }
        let current = KeyId::parse(&current)
            .filter(|id| keys.contains_key(id))
            .ok_or(KeyringError::CurrentNotAKey(current))?;
        Ok(Self { current, keys })
    }

    /// The key new tombstones are made with.
    pub fn current(&self) -> &KeyId {
        &self.current
    }

    /// Whether the keyring still has key `id`.
    pub fn has(&self, id: &KeyId) -> bool {
        self.keys.contains_key(id)
    }

    /// Every key id, the current one included.
    pub fn ids(&self) -> impl Iterator<Item = &KeyId> {
        self.keys.keys()
    }

    /// The digest of `actor` under key `id`, or `None` when the keyring no
    /// longer has that key.
    pub fn digest(&self, id: &KeyId, actor: &ActorId) -> Option<ActorDigest> {
        let Secret(key) = self.keys.get(id)?;
        // HMAC takes a key of any length; none is refused.
        let mut mac = Hmac::<Sha256>::new_from_slice(key).ok()?;
        mac.update(actor.as_str().as_bytes());
        let bytes = mac.finalize().into_bytes();
        Some(ActorDigest {
            key: id.clone(),
            hex: bytes[..16].iter().map(|b| format!("{b:02x}")).collect(),
        })
    }

    /// Key `id`'s check value: HMAC-SHA256 of a constant under it, as hex.
    /// Stored beside the tombstones when the key is first used, it proves
    /// later that the material under that id is still the same: a key
    /// re-created under its old id (by hand, or by the stack regenerating
    /// the secret) would match no tombstone, and let erased people back in.
    /// Never reveals the key. `None` when the keyring has no such key.
    pub fn check_value(&self, id: &KeyId) -> Option<String> {
        let Secret(key) = self.keys.get(id)?;
        let mut mac = Hmac::<Sha256>::new_from_slice(key).ok()?;
        mac.update(KEY_CHECK_CONSTANT);
        Some(
            mac.finalize()
                .into_bytes()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
        )
    }

    /// The digest of `actor` under the current key.
    pub fn current_digest(&self, actor: &ActorId) -> ActorDigest {
        // The current key is one of the keys: `parse` checked it.
        self.digest(&self.current, actor)
            .unwrap_or_else(|| ActorDigest {
                key: self.current.clone(),
                hex: String::new(),
            })
    }
}

/// A keyed digest of an actor id: a tombstone identifies the erased person's
/// rows without storing who they are, and without letting anyone who lacks
/// the key test guesses. The first 16 bytes of HMAC-SHA256 under the key
/// `key`, as hex.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ActorDigest {
    key: KeyId,
    hex: String,
}

impl ActorDigest {
    /// From stored text: a key id and 32 lowercase hex digits, or `None`.
    pub fn parse(key: &str, hex: &str) -> Option<Self> {
        let key = KeyId::parse(key)?;
        (hex.len() == 32
            && hex
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)))
        .then(|| Self {
            key,
            hex: hex.to_owned(),
        })
    }

    /// The key it was made with.
    pub fn key(&self) -> &KeyId {
        &self.key
    }

    pub fn hex(&self) -> &str {
        &self.hex
    }
}

impl fmt::Debug for ActorDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = self.hex.get(..8).unwrap_or(&self.hex);
        write!(f, "ActorDigest({}:{prefix})", self.key.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01";
    const K2: &str = "ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvutsrqponmlkjihgfedcba9876543210ab";

    fn actor(id: &str) -> ActorId {
        ActorId::parse(id).expect("id")
    }

    fn keyring(json: serde_json::Value) -> Result<ErasureKeyring, KeyringError> {
        ErasureKeyring::parse(&json.to_string())
    }

    #[test]
    fn a_keys_check_value_changes_with_its_material_and_only_with_it() {
        let ring =
            keyring(serde_json::json!({"current": "k1", "k1": K1, "k2": K2})).expect("valid");
        let replaced = keyring(serde_json::json!({"current": "k1", "k1": K2})).expect("valid");
        let k1 = KeyId::parse("k1").expect("id");
        let check = ring.check_value(&k1).expect("k1");
        assert_eq!(check.len(), 64);
        assert_eq!(
            Some(check.clone()),
            keyring(serde_json::json!({"current": "k1", "k1": K1}))
                .expect("valid")
                .check_value(&k1)
        );
        assert_ne!(
            Some(check.clone()),
            replaced.check_value(&k1),
            "other material under the same id"
        );
        assert!(!check.contains(K1), "never the key");
        assert_eq!(ring.check_value(&KeyId::parse("k9").expect("id")), None);
    }

    #[test]
    fn a_keyring_names_its_current_key_and_holds_every_key() {
        let ring =
            keyring(serde_json::json!({"current": "k2", "k1": K1, "k2": K2})).expect("valid");
        assert_eq!(ring.current().as_str(), "k2");
        assert_eq!(
            ring.ids().map(KeyId::as_str).collect::<Vec<_>>(),
            ["k1", "k2"]
        );
    }

    #[test]
    fn the_digest_is_keyed_and_never_the_unkeyed_sha256() {
        let ring =
            keyring(serde_json::json!({"current": "k1", "k1": K1, "k2": K2})).expect("valid");
        let id = actor("42");
        let k1 = ring.current_digest(&id);
        let k2 = ring
            .digest(&KeyId::parse("k2").expect("id"), &id)
            .expect("k2");
        assert_eq!(k1.hex().len(), 32);
        assert_ne!(k1.hex(), k2.hex(), "another key, another digest");
        assert_eq!(k1.key().as_str(), "k1");
        use sha2::Digest;
        let unkeyed: String = Sha256::digest(b"42")[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_ne!(k1.hex(), unkeyed);
        assert_eq!(ring.current_digest(&id), k1, "stable");
        assert_ne!(ring.current_digest(&actor("43")), k1);
        assert_eq!(ActorDigest::parse("k1", k1.hex()), Some(k1.clone()));
    }

    #[test]
    fn a_key_the_keyring_no_longer_has_gives_no_digest() {
        let ring = keyring(serde_json::json!({"current": "k1", "k1": K1})).expect("valid");
        assert_eq!(
            ring.digest(&KeyId::parse("k0").expect("id"), &actor("u")),
            None
        );
    }

    #[test]
    fn a_keyring_that_is_not_an_object_is_refused() {
        for text in ["", "[]", "\"k1\"", "{"] {
            assert_eq!(
                ErasureKeyring::parse(text),
                Err(KeyringError::NotAnObject),
                "{text}"
            );
        }
    }

    #[test]
    fn a_keyring_without_current_is_refused() {
        assert_eq!(
            keyring(serde_json::json!({"k1": K1})),
            Err(KeyringError::MissingCurrent)
        );
        assert_eq!(
            keyring(serde_json::json!({"current": 1, "k1": K1})),
            Err(KeyringError::MissingCurrent)
        );
    }

    #[test]
    fn a_current_that_names_no_key_is_refused() {
        assert_eq!(
            keyring(serde_json::json!({"current": "k2", "k1": K1})),
            Err(KeyringError::CurrentNotAKey("k2".into()))
        );
    }

    #[test]
    fn a_member_that_is_not_a_key_id_is_refused() {
        for name in ["K1", "k#1", "", "a-very-long-key-id-x"] {
            let mut json = serde_json::json!({"current": "k1", "k1": K1});
            json[name] = K2.into();
            assert_eq!(
                keyring(json),
                Err(KeyringError::BadKeyId(name.into())),
                "{name}"
            );
        }
    }

    #[test]
    fn a_short_or_non_string_key_is_refused_and_never_printed() {
        let short = "x".repeat(MIN_KEY_BYTES - 1);
        let error = keyring(serde_json::json!({"current": "k1", "k1": short})).expect_err("short");
        assert_eq!(error, KeyringError::BadKey("k1".into()));
        assert!(!error.to_string().contains(&short));
        assert_eq!(
            keyring(serde_json::json!({"current": "k1", "k1": 7})),
            Err(KeyringError::BadKey("k1".into()))
        );
        let ring = keyring(serde_json::json!({"current": "k1", "k1": K1})).expect("valid");
        assert!(!format!("{ring:?}").contains(K1), "Debug never shows a key");
    }

    #[test]
    fn a_digest_parses_only_a_key_id_and_32_lowercase_hex_digits() {
        assert!(ActorDigest::parse("k1", &"a".repeat(32)).is_some());
        assert_eq!(ActorDigest::parse("k1", "not hex"), None);
        assert_eq!(ActorDigest::parse("k1", &"A".repeat(32)), None);
        assert_eq!(ActorDigest::parse("K1", &"a".repeat(32)), None);
        let digest = ActorDigest::parse("k1", &"0123456789abcdef".repeat(2)).expect("valid");
        assert_eq!(format!("{digest:?}"), "ActorDigest(k1:01234567)");
    }
}
