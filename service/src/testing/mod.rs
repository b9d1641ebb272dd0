//! Real parts for the service's tests, its benchmark and the CLI's tests (feature `testing`):
//! the AWS emulator preloaded with the keys a fleet uses, the service in-process on loopback, a
//! PostgreSQL cluster of its own, a small HTTP client, and a fleet of simulated readers
//! provisioned through the service.

mod client;
mod fixture;
mod fleet;
mod postgres;

pub use client::{Client, Connection, Reply};
pub use fixture::{Fixture, Running, enrol};
pub use fleet::{Fleet, ReaderRun};
pub use hyper::Method;
pub use postgres::PgCluster;
