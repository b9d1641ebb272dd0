//! Real parts for the key service's tests, its benchmark, the CLI's tests and the fleet demo:
//! the AWS emulator preloaded with the keys a fleet uses, the service in-process on loopback, a
//! PostgreSQL cluster of its own, a small HTTP client, and a fleet of simulated readers
//! provisioned through the service.
//!
//! A crate of its own, used as a dev-dependency (and by the CLI's demo), so that the shipped
//! `keybridge-service` library carries none of it.

mod client;
mod fixture;
mod fleet;
mod postgres;

pub use client::{Client, Connection, Reply};
pub use fixture::{Fixture, Running, enrol};
pub use fleet::{Fleet, ReaderRun};
pub use hyper::Method;
pub use postgres::PgCluster;
