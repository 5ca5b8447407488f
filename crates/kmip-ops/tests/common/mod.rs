//! The in-process service the cryptography tests drive: a real sled store in a temp dir, the
//! system clock, one client identity, and typed calls that return the Result Reason of a
//! failure.

#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;

use kmip_keystore::{KeyStore, Keyring, RootKey, SledStore};
use kmip_ops::{AuthenticatedClient, Service, ServiceConfig, SystemClock};
use kmip_proto::dict::{
    CryptographicUsageMask as Mask, KeyFormatType, Operation, ResultReason, ResultStatus, ValidityIndicator,
};
use kmip_proto::payload::*;
use kmip_proto::{
    Attribute, AttributeName, Attributes, CryptographicParameters, Link, ProtocolVersion, RequestPayload,
    ResponseMessage, ResponsePayload, SecretBytes,
};
use kmip_test_support::message;
use ttlv::{Limits, Tag, Value};

const OWNER: &str = "CN=kmip-client-1,O=kmipd dev PKI";

pub struct Server {
    svc: Service,
    _dir: tempfile::TempDir,
}

pub fn server() -> Server {
    let dir = tempfile::tempdir().expect("temp dir");
    let store: Arc<dyn KeyStore> = Arc::new(SledStore::open(dir.path(), test_keyring()).expect("store"));
    Server { svc: Service::new(store, Arc::new(SystemClock), ServiceConfig::default()), _dir: dir }
}

impl Server {
    pub fn try_call(&self, operation: Operation, payload: RequestPayload) -> Result<ResponsePayload, ResultReason> {
        let client = AuthenticatedClient::for_tests(OWNER);
        let request = message(ProtocolVersion::V1_4, vec![(operation, payload)]);
        let (bytes, _) = self.svc.handle(&client, &request.to_ttlv());
        let mut response = ResponseMessage::from_ttlv(&bytes, &Limits::default()).expect("decodes");
        let item = response.items.remove(0);
        match item.result_status {
            ResultStatus::SUCCESS => Ok(item.payload.expect("payload")),
            _ => Err(item.result_reason.expect("a failure has a reason")),
        }
    }

    pub fn call(&self, operation: Operation, payload: RequestPayload) -> ResponsePayload {
        self.try_call(operation, payload).unwrap_or_else(|r| panic!("{operation}: {r}"))
    }

    /// A pair of `algorithm`: the private key may `private_mask`, the public `public_mask`.
    pub fn pair(&self, common: Vec<Attribute>, private_mask: Mask, public_mask: Mask) -> (String, String) {
        let set = |list: Vec<Attribute>| Some(Attributes { list, template_names: Vec::new() });
        let request = CreateKeyPairRequest {
            attributes: KeyPairAttributes {
                common: set(common),
                private: set(vec![usage(private_mask)]),
                public: set(vec![usage(public_mask)]),
            },
            protection_storage_masks: Vec::new(),
        };
        let ResponsePayload::CreateKeyPair(made) =
            self.call(Operation::CREATE_KEY_PAIR, RequestPayload::CreateKeyPair(request))
        else {
            panic!("Create Key Pair")
        };
        (made.private_key_unique_identifier, made.public_key_unique_identifier)
    }

    pub fn activate(&self, uid: &str) {
        self.call(Operation::ACTIVATE, RequestPayload::Activate(UidRequest { unique_identifier: Some(uid.into()) }));
    }

    pub fn sign(&self, uid: &str, params: CryptographicParameters, data: &[u8]) -> Result<Vec<u8>, ResultReason> {
        let request = SignRequest {
            unique_identifier: Some(uid.into()),
            cryptographic_parameters: Some(params),
            data: Some(SecretBytes::new(data.to_vec())),
            digested_data: None,
            correlation_value: None,
            init_indicator: None,
            final_indicator: None,
        };
        match self.try_call(Operation::SIGN, RequestPayload::Sign(request))? {
            ResponsePayload::Sign(r) => Ok(r.signature_data.expect("signature")),
            other => panic!("{other:?}"),
        }
    }

    pub fn verify(
        &self,
        uid: &str,
        params: CryptographicParameters,
        signed: (Option<&[u8]>, Option<&[u8]>),
        signature: &[u8],
    ) -> Result<ValidityIndicator, ResultReason> {
        let request = SignatureVerifyRequest {
            unique_identifier: Some(uid.into()),
            cryptographic_parameters: Some(params),
            data: signed.0.map(|d| SecretBytes::new(d.to_vec())),
            digested_data: signed.1.map(<[u8]>::to_vec),
            signature_data: Some(signature.to_vec()),
            correlation_value: None,
            init_indicator: None,
            final_indicator: None,
        };
        match self.try_call(Operation::SIGNATURE_VERIFY, RequestPayload::SignatureVerify(request))? {
            ResponsePayload::SignatureVerify(r) => Ok(r.validity_indicator),
            other => panic!("{other:?}"),
        }
    }

    pub fn get(&self, uid: &str, format: Option<KeyFormatType>) -> Result<GetResponse, ResultReason> {
        let request = GetRequest { key_format_type: format, ..GetRequest::of(uid) };
        match self.try_call(Operation::GET, RequestPayload::Get(request))? {
            ResponsePayload::Get(r) => Ok(r),
            other => panic!("{other:?}"),
        }
    }

    pub fn links(&self, uid: &str) -> Vec<Link> {
        let request = GetAttributesRequest {
            unique_identifier: Some(uid.into()),
            names: vec![AttributeName::Standard(Tag::LINK)],
        };
        let ResponsePayload::GetAttributes(got) =
            self.call(Operation::GET_ATTRIBUTES, RequestPayload::GetAttributes(request))
        else {
            panic!("Get Attributes")
        };
        got.attributes.iter().map(|a| kmip_proto::attribute::typed_value(&a.value).expect("a Link")).collect()
    }

    pub fn encrypt(&self, uid: &str, params: CryptographicParameters, data: &[u8]) -> Result<Vec<u8>, ResultReason> {
        let request = EncryptRequest {
            unique_identifier: Some(uid.into()),
            cryptographic_parameters: Some(params),
            data: Some(SecretBytes::new(data.to_vec())),
            iv_counter_nonce: None,
            correlation_value: None,
            init_indicator: None,
            final_indicator: None,
            authenticated_encryption_additional_data: None,
        };
        match self.try_call(Operation::ENCRYPT, RequestPayload::Encrypt(request))? {
            ResponsePayload::Encrypt(r) => Ok(r.data.expect("ciphertext")),
            other => panic!("{other:?}"),
        }
    }

    pub fn decrypt(&self, uid: &str, params: CryptographicParameters, data: &[u8]) -> Result<Vec<u8>, ResultReason> {
        let request = DecryptRequest {
            unique_identifier: Some(uid.into()),
            cryptographic_parameters: Some(params),
            data: Some(data.to_vec()),
            iv_counter_nonce: None,
            correlation_value: None,
            init_indicator: None,
            final_indicator: None,
            authenticated_encryption_additional_data: None,
            authenticated_encryption_tag: None,
        };
        match self.try_call(Operation::DECRYPT, RequestPayload::Decrypt(request))? {
            ResponsePayload::Decrypt(r) => Ok(r.data.expect("plaintext").secret_bytes().to_vec()),
            other => panic!("{other:?}"),
        }
    }
}

pub fn usage(mask: Mask) -> Attribute {
    Attribute::new(Tag::CRYPTOGRAPHIC_USAGE_MASK, Value::Integer(mask.0 as i32))
}

/// A root key for tests: fixed, and nowhere near a data dir that matters.
fn test_keyring() -> Arc<Keyring> {
    let key = RootKey::from_bytes(&kmip_proto::SecretBytes::new(vec![0x42; 32])).expect("a root key");
    Arc::new(Keyring::new(key, Vec::new()))
}
