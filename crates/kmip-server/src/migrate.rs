//! Moving a store's contents to another store (sled to PostgreSQL when a node outgrows one
//! machine, or back), and checking that two stores hold the same thing.
//!
//! The copy goes through the `KeyStore` trait: every record is opened under the source's
//! root key and sealed under the target's, so the two may differ. The target must be empty:
//! a copy never merges into a store that serves. The check compares, kind by kind, the
//! number of records and a SHA-256 over them in key order: objects as their stored TTLV,
//! CMK records as JSON (without the revision, a count of writes that starts again in the
//! target), side-API records as their bytes.

use kmip_keystore::{Change, KeyStore, Listing, StoreError};
use ring::digest::{Context, SHA256};

/// Records moved per commit.
const PAGE: usize = 500;

/// What one kind of record amounts to in one store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    /// The kind.
    pub listing: Listing,
    /// How many records.
    pub count: u64,
    /// SHA-256 over them, hex.
    pub digest: String,
}

/// Why a migration stopped.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// A store would not open.
    #[error(transparent)]
    Open(#[from] Box<crate::ServerError>),
    /// A store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The target holds records already.
    #[error("the target store is not empty ({0} objects): a migration only fills an empty store")]
    TargetNotEmpty(u64),
    /// The copy differs from the source.
    #[error("the stores differ: {0}")]
    Differ(String),
}

const KINDS: [Listing; 3] = [Listing::Objects, Listing::Cmks, Listing::Meta];

/// Walks every name of one kind, a page at a time.
fn each_name(
    store: &dyn KeyStore,
    listing: Listing,
    mut f: impl FnMut(Vec<String>) -> Result<(), MigrateError>,
) -> Result<(), MigrateError> {
    let mut after: Option<String> = None;
    loop {
        let page = store.list(listing, after.as_deref(), PAGE)?;
        let Some(last) = page.last().cloned() else { return Ok(()) };
        f(page)?;
        after = Some(last);
    }
}

/// A record's bytes as the check compares them, or `None` if it vanished meanwhile.
fn canonical(store: &dyn KeyStore, listing: Listing, name: &str) -> Result<Option<Vec<u8>>, MigrateError> {
    Ok(match listing {
        Listing::Objects => store.get(name)?.map(|o| o.to_bytes()),
        Listing::Cmks => store.cmk(name)?.map(|mut r| {
            r.revision = 0;
            serde_json::to_vec(&r).unwrap_or_default()
        }),
        Listing::Meta => store.meta(name)?,
    })
}

/// Counts and digests of every kind of record in `store`.
pub fn tally(store: &dyn KeyStore) -> Result<Vec<Tally>, MigrateError> {
    KINDS
        .iter()
        .map(|&listing| {
            let (mut count, mut digest) = (0u64, Context::new(&SHA256));
            each_name(store, listing, |names| {
                for name in names {
                    let Some(bytes) = canonical(store, listing, &name)? else { continue };
                    count += 1;
                    // Length-prefixed, so that no two different sequences hash alike.
                    for part in [name.as_bytes(), &bytes] {
                        digest.update(&(part.len() as u64).to_be_bytes());
                        digest.update(part);
                    }
                }
                Ok(())
            })?;
            Ok(Tally { listing, count, digest: hex::encode(digest.finish()) })
        })
        .collect()
}

/// Compares two stores' tallies; the tally they share.
pub fn verify(source: &dyn KeyStore, target: &dyn KeyStore) -> Result<Vec<Tally>, MigrateError> {
    let (a, b) = (tally(source)?, tally(target)?);
    for (x, y) in a.iter().zip(&b) {
        if x != y {
            return Err(MigrateError::Differ(format!(
                "{:?}: {} records ({}) in the source, {} ({}) in the target",
                x.listing, x.count, x.digest, y.count, y.digest
            )));
        }
    }
    Ok(a)
}

/// Copies every record of `source` into the empty `target`, then verifies the copy.
pub fn copy(source: &dyn KeyStore, target: &dyn KeyStore) -> Result<Vec<Tally>, MigrateError> {
    let held = target.count()?;
    if held > 0 || !target.list(Listing::Cmks, None, 1)?.is_empty() {
        return Err(MigrateError::TargetNotEmpty(held));
    }
    for listing in KINDS {
        each_name(source, listing, |names| {
            let mut changes = Vec::with_capacity(names.len());
            for name in names {
                let change = match listing {
                    Listing::Objects => source.get(&name)?.map(Change::Insert),
                    // A new record in the target: its revision count starts again.
                    Listing::Cmks => {
                        source.cmk(&name)?.map(|r| Change::PutCmk(kmip_keystore::CmkRecord { revision: 0, ..r }))
                    }
                    Listing::Meta => source.meta(&name)?.map(|value| Change::PutMeta { key: name, value }),
                };
                changes.extend(change);
            }
            target.commit(changes)?;
            Ok(())
        })?;
    }
    verify(source, target)
}

/// What `kmipd migrate` does: opens the store each configuration names (each under its own
/// root key), then copies `from` into `to` and verifies, or only verifies. Neither store may
/// be serving: sled says so if its data dir is in use.
pub fn between(from: &crate::Config, to: &crate::Config, verify_only: bool) -> Result<Vec<Tally>, MigrateError> {
    let source = crate::store::open(&from.store).map_err(Box::new)?.store;
    let target = crate::store::open(&to.store).map_err(Box::new)?.store;
    if verify_only { verify(&*source, &*target) } else { copy(&*source, &*target) }
}
