//! TR-31 / ANSI X9.143 / ISO 20038 key blocks.
//!
//! * [`KeyBlock::parse`] reads and validates a block without a key; [`unwrap`] authenticates it
//!   under a KBPK and returns the clear key; [`wrap`] builds one.
//! * Header fields are typed ([`fields`]); optional blocks are decoded ([`optional`]); the X9.143
//!   usage × algorithm × mode table is data ([`compat`]).
//! * Three profiles ([`Profile`]): strict X9.143, the default (X9.143 and unobfuscated key lengths,
//!   as HSMs write them) and lenient; every relaxation applied comes back as a [`Tr31Warning`].

#[macro_use]
pub mod fields;
mod binding;
pub mod compat;
mod error;
mod header;
mod keyblock;
mod layout;
pub mod optional;
mod profile;
mod rsa;
mod validate;

pub use error::{Remedy, Tr31Error, Tr31Warning};
pub use fields::{Algorithm, Exportability, KeyContext, KeyUsage, KeyVersion, ModeOfUse, Version};
pub use header::Header;
pub use keyblock::{KeyBlock, Unwrapped, WrapOptions, unwrap, wrap};
#[cfg(feature = "test-hooks")]
pub use keyblock::{seal_unchecked, wrap_with_padding};
pub use layout::Field;
pub use optional::{KnownBlockId, OptionalBlock, OptionalValue};
pub use profile::{Profile, Strictness};
pub use validate::{reported_warnings, validate_header, weak_wrapping};
