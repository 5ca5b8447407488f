//! Secret bytes: key material, plaintext and random output. They zeroize when dropped and
//! never print.

use std::fmt;

use ttlv::{DecodeError, Field, Item, Tag, Value};
use zeroize::Zeroize;

use crate::codec::{Decode, Encode, Encoder};

/// Bytes that must not leak: wiped on drop, shown by `Debug` as their length only, and read
/// only through [`SecretBytes::secret_bytes`].
#[derive(Clone, PartialEq, Eq, Default)]
pub struct SecretBytes(Vec<u8>);

impl SecretBytes {
    /// Takes ownership of `bytes`.
    pub fn new(bytes: Vec<u8>) -> Self {
        SecretBytes(bytes)
    }

    /// The bytes. The name is long on purpose: every read of a secret should be visible.
    pub fn secret_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The number of bytes, which is not secret.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Drop for SecretBytes {
    #[inline(never)]
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes(<{} bytes>)", self.0.len())
    }
}

impl Decode for SecretBytes {
    fn decode(f: Field<'_>) -> Result<Self, DecodeError> {
        f.bytes().map(|b| SecretBytes(b.to_vec()))
    }
}

impl Encode for SecretBytes {
    fn encode(&self, tag: Tag, e: &mut Encoder) {
        e.w.bytes(tag, &self.0);
    }
}

/// A secret structure (a transparent key: RSA private exponent, EC private value...). Its
/// byte strings and big integers are wiped on drop; `Item`'s `Debug` already redacts them.
#[derive(Clone, PartialEq, Debug)]
pub struct SecretItem(pub Item);

impl Drop for SecretItem {
    #[inline(never)]
    fn drop(&mut self) {
        wipe(&mut self.0);
    }
}

fn wipe(item: &mut Item) {
    match &mut item.value {
        Value::Structure(children) => children.iter_mut().for_each(wipe),
        Value::ByteString(bytes) => bytes.zeroize(),
        Value::BigInteger(n) => n.zeroize(),
        Value::TextString(text) => text.zeroize(),
        _ => {}
    }
}
