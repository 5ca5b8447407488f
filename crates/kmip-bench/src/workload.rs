//! The operations kmip-bench drives: how each request is built, and the keys it needs first.
//!
//! Requests are encoded once per key before the clock starts, so the timed loop measures the
//! round trip (client encode excluded), the server, and the client's response decode.

use kmip_cli::Client;
use kmip_cli::commands;
use kmip_proto::dict::{BlockCipherMode, CryptographicAlgorithm, Operation, PaddingMethod};
use kmip_proto::payload::{
    CreateRequest, DecryptRequest, EncryptRequest, GetAttributesRequest, GetRequest, LocateRequest, ReKeyRequest,
    UidRequest,
};
use kmip_proto::{
    Attribute, AttributeName, Attributes, CryptographicParameters, ProtocolVersion, RequestMessage,
    RequestPayload as Req, SecretBytes,
};
use ttlv::Tag;

/// One operation kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Op {
    /// Create an AES-256 key (durable before the reply).
    Create,
    /// Get a key.
    Get,
    /// Get Attributes (State).
    GetAttributes,
    /// Locate by Name (an index lookup).
    Locate,
    /// AES-GCM encrypt 64 bytes.
    Encrypt,
    /// AES-GCM decrypt 64 bytes.
    Decrypt,
    /// Activate a fresh key (consumes one pre-created key per operation).
    Activate,
    /// Destroy a key (consumes one pre-created key per operation).
    Destroy,
    /// ReKey a key (consumes one pre-created active key per operation).
    Rekey,
}

impl Op {
    /// Whether each operation uses up a key, so the run needs one prepared key per operation.
    pub fn consumes_keys(self) -> bool {
        matches!(self, Op::Activate | Op::Destroy | Op::Rekey)
    }

    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Op::Create => "Create",
            Op::Get => "Get",
            Op::GetAttributes => "GetAttributes",
            Op::Locate => "Locate",
            Op::Encrypt => "Encrypt",
            Op::Decrypt => "Decrypt",
            Op::Activate => "Activate",
            Op::Destroy => "Destroy",
            Op::Rekey => "ReKey",
        }
    }
}

/// A prepared key: its UID, its name, and (for Decrypt) a ciphertext with IV and tag.
#[derive(Debug, Clone)]
pub struct Key {
    uid: String,
    name: String,
    sealed: Option<(Vec<u8>, Vec<u8>, Vec<u8>)>,
}

impl Key {
    /// A key to be created under `name` (by a `--fill` Create).
    pub fn named(name: String) -> Self {
        Key { uid: String::new(), name, sealed: None }
    }

    /// No key: what Create, which names none, runs on.
    pub fn none() -> Self {
        Self::named(String::new())
    }

    /// A key that exists already (`--use-key`): for Get, GetAttributes and Encrypt, which need
    /// nothing prepared.
    pub fn existing(uid: &str) -> Self {
        Key { uid: uid.to_owned(), name: String::new(), sealed: None }
    }
}

const PLAINTEXT: [u8; 64] = [0x5A; 64];

fn gcm() -> CryptographicParameters {
    CryptographicParameters {
        block_cipher_mode: Some(BlockCipherMode::GCM),
        padding_method: Some(PaddingMethod::NONE),
        cryptographic_algorithm: Some(CryptographicAlgorithm::AES),
        tag_length: Some(16),
        ..CryptographicParameters::default()
    }
}

/// Creates `count` AES-256 keys named `{prefix}-{i}`, activated when `active`, each with a
/// ciphertext when `seal` (for Decrypt).
pub fn prepare(
    client: &mut Client,
    v: ProtocolVersion,
    prefix: &str,
    count: usize,
    active: bool,
    seal: bool,
) -> Result<Vec<Key>, String> {
    let mut keys = Vec::with_capacity(count);
    for i in 0..count {
        let name = format!("{prefix}-{i}");
        let created = commands::create(client, v, CryptographicAlgorithm::AES, 256, Some(&name), active)
            .map_err(|e| format!("preparing keys: {e}"))?;
        let uid = created["unique_identifier"].as_str().unwrap_or_default().to_owned();
        let sealed = if seal {
            let (summary, data) = commands::encrypt(client, v, &uid, BlockCipherMode::GCM, PLAINTEXT.to_vec())
                .map_err(|e| format!("preparing ciphertext: {e}"))?;
            let hex_field = |f: &str| hex::decode(summary[f].as_str().unwrap_or_default()).unwrap_or_default();
            Some((data, hex_field("iv"), hex_field("tag")))
        } else {
            None
        };
        keys.push(Key { uid, name, sealed });
    }
    Ok(keys)
}

/// The encoded request for one operation on one key.
pub fn request(op: Op, v: ProtocolVersion, key: &Key) -> Vec<u8> {
    let uid = Some(key.uid.clone());
    let (operation, payload) = match op {
        Op::Create => {
            // Create names its key when given one (`kmip-bench --fill`), else names none.
            let name = (!key.name.is_empty()).then(|| Attribute::name(&key.name));
            let request = CreateRequest::symmetric_key(CryptographicAlgorithm::AES, 256, 0x0C, name);
            (Operation::CREATE, Req::Create(request))
        }
        Op::Get => {
            let request = GetRequest {
                unique_identifier: uid,
                key_format_type: None,
                key_wrap_type: None,
                key_compression_type: None,
                key_wrapping_specification: None,
            };
            (Operation::GET, Req::Get(request))
        }
        Op::GetAttributes => {
            let names = vec![AttributeName::Standard(Tag::STATE)];
            (Operation::GET_ATTRIBUTES, Req::GetAttributes(GetAttributesRequest { unique_identifier: uid, names }))
        }
        Op::Locate => {
            let request = LocateRequest { attributes: vec![Attribute::name(&key.name)], ..LocateRequest::default() };
            (Operation::LOCATE, Req::Locate(request))
        }
        Op::Encrypt => {
            let request = EncryptRequest {
                unique_identifier: uid,
                cryptographic_parameters: Some(gcm()),
                data: Some(SecretBytes::new(PLAINTEXT.to_vec())),
                iv_counter_nonce: None,
                correlation_value: None,
                init_indicator: None,
                final_indicator: None,
                authenticated_encryption_additional_data: None,
            };
            (Operation::ENCRYPT, Req::Encrypt(request))
        }
        Op::Decrypt => {
            let (data, iv, tag) = key.sealed.clone().unwrap_or_default();
            let request = DecryptRequest {
                unique_identifier: uid,
                cryptographic_parameters: Some(gcm()),
                data: Some(data),
                iv_counter_nonce: Some(iv),
                correlation_value: None,
                init_indicator: None,
                final_indicator: None,
                authenticated_encryption_additional_data: None,
                authenticated_encryption_tag: Some(tag),
            };
            (Operation::DECRYPT, Req::Decrypt(request))
        }
        Op::Activate => (Operation::ACTIVATE, Req::Activate(UidRequest { unique_identifier: uid })),
        Op::Destroy => (Operation::DESTROY, Req::Destroy(UidRequest { unique_identifier: uid })),
        Op::Rekey => {
            let request = ReKeyRequest {
                unique_identifier: uid,
                offset: None,
                attributes: Attributes::default(),
                protection_storage_masks: None,
            };
            (Operation::REKEY, Req::ReKey(request))
        }
    };
    RequestMessage::new(v, vec![(operation, payload)]).to_ttlv()
}
