//! One module per family of operations. Each function takes the request's typed payload and
//! returns the typed response payload, or an [`crate::OpError`].

pub(crate) mod attributes;
pub(crate) mod create;
pub(crate) mod crypto;
pub(crate) mod derive;
pub(crate) mod discover;
pub(crate) mod key_use;
pub(crate) mod keypair;
pub(crate) mod lifecycle;
pub(crate) mod locate;
pub(crate) mod read;
pub(crate) mod sign;
pub(crate) mod wrap;
