//! Rotation after a number of uses: a CMK may cap the server-side Encrypt operations one
//! version serves (`max_encryptions`), and rotates when the current version reaches it.
//!
//! > NIST SP 800-38D §8.3: with random 96-bit IVs, "the total number of invocations of the
//! > authenticated encryption function shall not exceed 2^32" for one key.
//!
//! The count is durable and cheap. A node reserves a block of encryptions by writing the
//! CMK record once (`encryptions_reserved` grows by the block, under the record's revision
//! check, so nodes never reserve the same encryptions twice), then hands them out from
//! memory. So a version never serves more than its cap, even across nodes and crashes: a
//! block a crash leaves unused counts as used, which can only make a rotation come early. On
//! one node the rotation comes exactly at the cap: the Encrypt that takes the last allowed
//! use still runs under the old version, and the CMK rotates before the next one.

use std::collections::HashMap;
use std::sync::Mutex;

use kmip_keystore::{Change, CmkRecord, StoreError, VersionOrigin};

use crate::Service;
use crate::rotation::RotationError;

/// Encryptions reserved per write of the CMK record.
const BLOCK: u64 = 4_096;

/// One version's reserved encryptions on this node: `next..end` are still free to use.
#[derive(Debug, Clone, Copy)]
struct Block {
    next: u64,
    end: u64,
}

/// The blocks this node holds, by version Unique Identifier.
#[derive(Debug, Default)]
pub(crate) struct UsageCounters {
    blocks: Mutex<HashMap<String, Block>>,
}

impl UsageCounters {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Block>> {
        // Counters only; on poisoning, a block may be lost, which errs on the side of
        // rotating early.
        self.blocks.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Takes one use of `version` from its block; `Some(n)` is the use's number (1-based).
    fn take(&self, version: &str) -> Option<u64> {
        let mut blocks = self.lock();
        let block = blocks.get_mut(version)?;
        if block.next >= block.end {
            return None;
        }
        block.next += 1;
        Some(block.next)
    }
}

/// What [`Service::count_encryption`] decided.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Use {
    /// Encrypt under this version; `last` when it takes the version's final allowed use.
    Granted { version: String, last: bool },
}

impl Service {
    /// Counts one server-side Encrypt under the CMK's current version, against its cap.
    /// A version whose cap is used up (by another node, or a crash's lost block) is rotated
    /// first, and the use is counted against the new one.
    /// `record` is the CMK as the caller read it; later turns read it again.
    pub(crate) fn count_encryption(&self, record: &CmkRecord, cap: u64) -> Result<Use, RotationError> {
        let key_id = record.key_id.as_str();
        // A few turns at most: a block is reserved, or a spent version rotates, per turn.
        for turn in 0..4 {
            let record = match turn {
                0 => std::borrow::Cow::Borrowed(record),
                _ => std::borrow::Cow::Owned(self.cmk(key_id)?),
            };
            let version = record.current_uid().ok_or(RotationError::NotFound)?.to_owned();
            if let Some(n) = self.usage.take(&version) {
                return Ok(Use::Granted { last: n >= cap, version });
            }
            match self.reserve(&record, cap) {
                Ok(true) => continue,
                Ok(false) => {
                    // Spent: rotate, unless someone already has.
                    let _guard = self.cmk_lock();
                    let now = self.clock.now();
                    let fresh = self.cmk(key_id)?;
                    if fresh.current_uid() == Some(version.as_str()) {
                        self.rotate_locked(fresh, VersionOrigin::UsageLimit, now)?;
                    }
                }
                Err(RotationError::Op(crate::OpError::Store(StoreError::Conflict(_)))) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(RotationError::BadState("the key's encryption count is contended; retry"))
    }

    /// Reserves the next block of `record`'s current version; `false` when its cap is spent.
    fn reserve(&self, record: &CmkRecord, cap: u64) -> Result<bool, RotationError> {
        let start = record.policy.encryptions_reserved;
        if start >= cap {
            return Ok(false);
        }
        let end = cap.min(start.saturating_add(BLOCK));
        let version = record.current_uid().ok_or(RotationError::NotFound)?.to_owned();
        let mut next = record.clone();
        next.policy.encryptions_reserved = end;
        self.store.commit(vec![Change::PutCmk(next)])?;
        self.usage.lock().insert(version, Block { next: start, end });
        Ok(true)
    }

    /// After the Encrypt that took a version's last allowed use: rotate the CMK.
    pub(crate) fn rotate_after_last_use(&self, key_id: &str, version: &str) -> Result<(), RotationError> {
        let _guard = self.cmk_lock();
        let now = self.clock.now();
        let record = self.cmk(key_id)?;
        if record.current_uid() == Some(version) {
            self.rotate_locked(record, VersionOrigin::UsageLimit, now)?;
        }
        self.usage.lock().remove(version);
        Ok(())
    }
}
