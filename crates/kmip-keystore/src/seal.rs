//! Records sealed at rest: AES-256-GCM (ring) under a root key that never lives in the data
//! directory.
//!
//! A sealed record is `SEALED_MAGIC | root key id (8) | nonce (12) | ciphertext | tag (16)`.
//! The additional data binds the record to where it is stored (`domain 0 name`: an object's
//! record to its Unique Identifier), so a record copied onto another key does not open. The
//! nonce is random: AES-GCM with random 96-bit nonces stays within NIST SP 800-38D's bound
//! for 2^32 records sealed under one key, and every root-key rotation starts the count again.
//!
//! A [`Keyring`] holds the current root key, which seals, and the previous ones, which only
//! open: a record sealed under a previous key (or written before sealing existed) is *stale*,
//! and [`crate::KeyStore::reseal`] rewrites stale records under the current key while the
//! server keeps serving.

use std::fmt;

use kmip_proto::SecretBytes;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::digest::{SHA256, digest};
use ring::rand::{SecureRandom, SystemRandom};

use crate::StoreError;

/// The first bytes of a sealed record: a stored TTLV record starts with its envelope tag
/// (0x54FF01), never with these.
const SEALED_MAGIC: &[u8; 3] = b"kS1";
const ID_LEN: usize = 8;
const TAG_LEN: usize = 16;
const HEADER_LEN: usize = SEALED_MAGIC.len() + ID_LEN + NONCE_LEN;

/// What a record is, for the additional data: an object, a side-API record, the canary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Domain {
    /// A managed object, named by its Unique Identifier.
    Object,
    /// A side-API record (`PutMeta`), named by its key.
    Meta,
}

impl Domain {
    fn label(self) -> &'static [u8] {
        match self {
            Domain::Object => b"kmipd object",
            Domain::Meta => b"kmipd meta",
        }
    }
}

/// One root key: AES-256, known by an identifier derived from it.
pub struct RootKey {
    id: [u8; ID_LEN],
    key: LessSafeKey,
}

impl RootKey {
    /// A root key from its 32 bytes. The bytes are not kept: ring holds the key schedule.
    pub fn from_bytes(bytes: &SecretBytes) -> Result<Self, StoreError> {
        if bytes.len() != 32 {
            return Err(StoreError::Backend(format!("a root key is 32 bytes, not {}", bytes.len())));
        }
        // The id names the key in every record without revealing it: a hash with a label of
        // its own, so that it is no hash anything else computes over the key.
        let labelled = [&b"kmipd root key id\0"[..], bytes.secret_bytes()].concat();
        let mut id = [0u8; ID_LEN];
        id.copy_from_slice(&digest(&SHA256, &labelled).as_ref()[..ID_LEN]);
        drop(SecretBytes::new(labelled));
        let key = UnboundKey::new(&AES_256_GCM, bytes.secret_bytes())
            .map_err(|_| StoreError::Backend("the root key is not an AES-256 key".into()))?;
        Ok(RootKey { id, key: LessSafeKey::new(key) })
    }

    /// The key's identifier, in hex: safe to log.
    pub fn id(&self) -> String {
        self.id.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl fmt::Debug for RootKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RootKey({})", self.id())
    }
}

/// The root keys a store seals and opens with.
#[derive(Debug)]
pub struct Keyring {
    current: RootKey,
    previous: Vec<RootKey>,
    rng: SystemRandom,
}

/// A record opened: its plaintext, and whether it should be sealed again under the current
/// key.
pub(crate) struct Opened {
    pub(crate) plain: SecretBytes,
    pub(crate) stale: bool,
}

impl Keyring {
    /// `current` seals; `previous` keys only open what they sealed.
    pub fn new(current: RootKey, previous: Vec<RootKey>) -> Self {
        Keyring { current, previous, rng: SystemRandom::new() }
    }

    /// The identifier of the key new records are sealed under.
    pub fn current_id(&self) -> String {
        self.current.id()
    }

    fn aad(domain: Domain, name: &str) -> Vec<u8> {
        [domain.label(), &[0], name.as_bytes()].concat()
    }

    /// Seals an object's record (its stored TTLV) under the current key.
    pub(crate) fn seal_object(&self, object: &crate::StoredObject) -> Result<Vec<u8>, StoreError> {
        let plain = SecretBytes::new(object.to_bytes());
        self.seal(Domain::Object, &object.uid, plain.secret_bytes())
    }

    /// Opens the record of the object `uid`.
    pub(crate) fn open_object(&self, uid: &str, record: &[u8]) -> Result<crate::StoredObject, StoreError> {
        let opened = self.open(Domain::Object, uid, record)?;
        crate::StoredObject::from_bytes(opened.plain.secret_bytes())
            .map_err(|e| StoreError::Corrupt { uid: uid.to_owned(), reason: e.to_string() })
    }

    /// Seals `plain` under the current key.
    pub(crate) fn seal(&self, domain: Domain, name: &str, plain: &[u8]) -> Result<Vec<u8>, StoreError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng.fill(&mut nonce).map_err(|_| StoreError::Backend("the random number generator failed".into()))?;
        let mut out = Vec::with_capacity(HEADER_LEN + plain.len() + TAG_LEN);
        out.extend_from_slice(SEALED_MAGIC);
        out.extend_from_slice(&self.current.id);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plain);
        let tag = self
            .current
            .key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(Self::aad(domain, name)),
                &mut out[HEADER_LEN..],
            )
            .map_err(|_| StoreError::Backend("sealing a record failed".into()))?;
        out.extend_from_slice(tag.as_ref());
        Ok(out)
    }

    /// Whether a record should be sealed again: sealed under another key than the current
    /// one, or not sealed at all. Read from the header alone, without opening the record.
    pub(crate) fn is_stale(&self, record: &[u8]) -> bool {
        record.strip_prefix(SEALED_MAGIC).is_none_or(|rest| rest.get(..ID_LEN) != Some(&self.current.id[..]))
    }

    /// Opens a record: sealed under the current or a previous key, or written before records
    /// were sealed (then it is its own plaintext, and stale).
    pub(crate) fn open(&self, domain: Domain, name: &str, record: &[u8]) -> Result<Opened, StoreError> {
        let Some(rest) = record.strip_prefix(SEALED_MAGIC) else {
            return Ok(Opened { plain: SecretBytes::new(record.to_vec()), stale: true });
        };
        let corrupt = |reason: &str| StoreError::Corrupt { uid: name.to_owned(), reason: reason.to_owned() };
        if rest.len() < ID_LEN + NONCE_LEN + TAG_LEN {
            return Err(corrupt("a sealed record too short to hold its header and tag"));
        }
        let (id, rest) = rest.split_at(ID_LEN);
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id == id)
            .ok_or_else(|| corrupt("sealed under a root key that is not configured"))?;
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| corrupt("a malformed nonce"))?;
        let mut buffer = sealed.to_vec();
        let plain = match key.key.open_in_place(nonce, Aad::from(Self::aad(domain, name)), &mut buffer) {
            Ok(plain) => plain.to_vec(),
            Err(_) => {
                drop(SecretBytes::new(buffer));
                return Err(corrupt("the record does not open under its root key: tampered, or moved"));
            }
        };
        drop(SecretBytes::new(buffer));
        Ok(Opened { plain: SecretBytes::new(plain), stale: key.id != self.current.id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> RootKey {
        RootKey::from_bytes(&SecretBytes::new(vec![byte; 32])).expect("a key")
    }

    #[test]
    fn a_record_opens_only_where_it_was_sealed() {
        let ring = Keyring::new(key(1), Vec::new());
        let sealed = ring.seal(Domain::Object, "uid-1", b"key material").expect("seals");
        assert!(!sealed.windows(12).any(|w| w == b"key material"));
        let opened = ring.open(Domain::Object, "uid-1", &sealed).expect("opens");
        assert_eq!((opened.plain.secret_bytes(), opened.stale), (&b"key material"[..], false));
        // Another name, another domain, a flipped bit: none opens.
        assert!(ring.open(Domain::Object, "uid-2", &sealed).is_err());
        assert!(ring.open(Domain::Meta, "uid-1", &sealed).is_err());
        let mut tampered = sealed.clone();
        *tampered.last_mut().expect("bytes") ^= 1;
        assert!(ring.open(Domain::Object, "uid-1", &tampered).is_err());
        assert!(ring.open(Domain::Object, "uid-1", &sealed[..20]).is_err());
    }

    #[test]
    fn a_previous_key_opens_and_marks_the_record_stale() {
        let old = Keyring::new(key(1), Vec::new());
        let sealed = old.seal(Domain::Meta, "m", b"secret").expect("seals");
        let rotated = Keyring::new(key(2), vec![key(1)]);
        let opened = rotated.open(Domain::Meta, "m", &sealed).expect("opens");
        assert!(opened.stale);
        // Without the old key the record is unreadable, and says so.
        let forgotten = Keyring::new(key(2), Vec::new());
        let error = forgotten.open(Domain::Meta, "m", &sealed).err().expect("refused").to_string();
        assert!(error.contains("not configured"), "{error}");
        // A record from before sealing reads as itself, and is stale.
        assert!(rotated.open(Domain::Object, "u", b"\x54\xff\x01\x01").expect("legacy").stale);
    }
}
