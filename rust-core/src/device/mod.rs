//! Talking to a Dspread QPOS reader: the byte framing ([`frame`]), the commands as the vendor SDK
//! sends them ([`command`]), what the reader's answers mean ([`answer`]), byte transports
//! ([`transport`]) and request/response sessions ([`session`]).
//!
//! Everything here is blocking: a key load is a short sequential exchange over a blocking byte
//! stream. Callers that must not block (Kotlin coroutines, tokio) run calls on a worker thread and
//! cancel through a [`session::CancelHandle`].

pub mod answer;
pub mod command;
pub mod frame;
pub mod session;
pub mod transport;
