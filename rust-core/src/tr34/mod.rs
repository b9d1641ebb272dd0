//! TR-34 (ANSI X9 TR-34-2012, two-pass): how a Key Distribution Host (AWS Payment Cryptography)
//! hands a Key Receiving Device (a reader) its own KEK, wrapped under the reader's RSA key and
//! signed by the KDH.
//!
//! * [`Tr34Token::parse`] reads a token as real ones are written (AWS's shape and the vendor
//!   demo's, see [`token`]) and [`Tr34Token::summary`] describes it without keys.
//! * [`Tr34Token::open`] is the KRD: it verifies everything (the KDH's chain to the trusted KDH
//!   CA, signer, message digest, signature, nonce, recipient, RSA sizes, header and KDH inside the
//!   block) and decrypts the key into [`crate::SecretBytes`] with its KCV. Each refusal is a
//!   [`Tr34Error::Refused`] naming its [`Check`].
//! * [`build`] is the KDH, for the AWS emulator, tests and demos. It writes [`Shape::Aws`].
//! * [`SdkEnvelope`] is what the vendor SDK's `loadSessionKeyByTR_34` sends: built from a token,
//!   read back and opened on the reader's side.
//!
//! RSA, certificates and names come from RustCrypto (`rsa`, `x509-cert`, `der`); only the lenient
//! walk of the CMS layout is written here ([`asn1`] says why). Behind feature `tr34` (on by
//! default, off in the mobile build, where the RSA code would cost size the reader side does not
//! need).
//!
//! Not checked: certificate validity dates (readers have no trusted clock) and revocation.

mod asn1;
mod build;
mod envelope;
mod error;
mod inspect;
mod keyblock;
mod oids;
mod open;
mod pki;
mod token;

pub use build::{Kdh, Payload, Shape, build};
pub use envelope::SdkEnvelope;
pub use error::{Check, Tr34Error};
pub use inspect::{ContentSummary, Party, RecipientSummary, SignerSummary, Summary};
pub use open::{Expected, Krd, ReceivedKey};
pub use pki::{Certificate, MIN_RSA_BITS, PrivateKey};
pub use token::{ContentCipher, Envelope, IssuerSerial, OaepParams, Recipient, Signer, Tr34Token, decode_hex_token};

#[cfg(test)]
mod tests;
