//! Customer master keys: the logical key that rotation versions.
//!
//! A CMK has a stable `key_id` (36 lowercase characters, Huawei KMS's format) and a chain of
//! versions, each a KMIP object with its own Unique Identifier whose bytes never change (F1).
//! The record holds the chain and the rotation policy; the versions live as ordinary objects.
//! Records are JSON: they hold no key material, and JSON keeps them readable in an incident.

use serde::{Deserialize, Serialize};

use crate::StoreError;

/// How a version came to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionOrigin {
    /// The CMK's first key.
    Initial,
    /// Made by the scheduler.
    Automatic,
    /// Asked for: an API call or a KMIP ReKey.
    OnDemand,
    /// Made when the previous version reached the CMK's limit of encryptions.
    UsageLimit,
}

/// One version of a CMK.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CmkVersion {
    /// The KMIP object's Unique Identifier.
    pub uid: String,
    /// When it was made, in seconds since the epoch.
    pub created: i64,
    /// How.
    pub origin: VersionOrigin,
}

/// A CMK's state, as the Huawei API sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CmkState {
    /// Usable.
    Enabled,
    /// Disabled by its owner: not usable, not rotated, policy kept.
    Disabled,
    /// Scheduled for deletion at the given time: not usable, not rotated.
    PendingDeletion {
        /// When it will be deleted, in seconds since the epoch.
        at: i64,
    },
}

/// The rotation policy and its bookkeeping.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotationPolicy {
    /// Automatic rotation on (off by default).
    pub enabled: bool,
    /// Days between rotations, 30 to 365 (365 by default).
    pub interval_days: u32,
    /// The last rotation, in seconds since the epoch.
    pub last_rotation: Option<i64>,
    /// How many rotations so far.
    pub rotations: u64,
    /// When the next automatic rotation is due (only while enabled).
    pub next_rotation: Option<i64>,
    /// Opt-in: deactivate versions older than this many days (off by default, F2).
    pub deactivate_after_days: Option<u32>,
    /// Opt-in: rotate once the current version has served this many server-side Encrypt
    /// operations (NIST SP 800-38D bounds AES-GCM with random nonces at 2^32 per key).
    #[serde(default)]
    pub max_encryptions: Option<u64>,
    /// Encryptions under the current version that nodes have reserved so far (each node
    /// reserves blocks, so the count is written once per block, never per operation; a
    /// block a crash leaves unused counts as used). Back to 0 at each rotation.
    #[serde(default)]
    pub encryptions_reserved: u64,
}

impl Default for RotationPolicy {
    fn default() -> Self {
        RotationPolicy {
            enabled: false,
            interval_days: 365,
            last_rotation: None,
            rotations: 0,
            next_rotation: None,
            deactivate_after_days: None,
            max_encryptions: None,
            encryptions_reserved: 0,
        }
    }
}

/// A CMK.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CmkRecord {
    /// The stable identifier.
    pub key_id: String,
    /// The project (Huawei) or client identity (KMIP) it belongs to.
    pub project: String,
    /// The KMIP owner of its versions (a client certificate subject).
    pub owner: String,
    /// Key alias.
    pub alias: String,
    /// Key description.
    pub description: String,
    /// `AES_256` and the like.
    pub key_spec: String,
    /// `kms` (generated here) or `external` (imported: cannot rotate).
    pub origin: String,
    /// When it was created, in seconds since the epoch.
    pub created: i64,
    /// State.
    pub state: CmkState,
    /// Rotation policy.
    pub policy: RotationPolicy,
    /// Versions, oldest first; the last is current.
    pub versions: Vec<CmkVersion>,
    /// How many times the record has been written. A write carries the revision it read and
    /// the store refuses it unless that is still the stored one ([`StoreError::Conflict`]),
    /// then stores the next: of two nodes that read the same record, one writes it. That is
    /// what keeps a due time from rotating twice when a leader's lease lapses mid-sweep.
    #[serde(default)]
    pub revision: u64,
}

impl CmkRecord {
    /// Checks a write of this record against the stored one (`None`: no record yet) and
    /// returns the record as it is to be stored, at the next revision.
    pub(crate) fn next_revision(&self, stored: Option<&CmkRecord>) -> Result<CmkRecord, StoreError> {
        let held = stored.map(|r| r.revision);
        match held {
            Some(r) if r != self.revision => Err(StoreError::Conflict(format!(
                "key {} changed meanwhile (revision {r}, the write read {})",
                self.key_id, self.revision
            ))),
            None if self.revision != 0 => {
                Err(StoreError::Conflict(format!("key {} was deleted meanwhile", self.key_id)))
            }
            _ => Ok(CmkRecord { revision: self.revision + 1, ..self.clone() }),
        }
    }

    /// The current version's Unique Identifier.
    pub fn current_uid(&self) -> Option<&str> {
        self.versions.last().map(|v| v.uid.as_str())
    }

    /// When the scheduler should look at this CMK next, if ever.
    pub fn due_at(&self) -> Option<i64> {
        match (self.state, self.policy.enabled) {
            (CmkState::Enabled, true) => self.policy.next_rotation,
            _ => None,
        }
    }
}
