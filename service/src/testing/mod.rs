//! Real parts for the service's tests, its benchmark and the CLI's tests (feature `testing`):
//! the AWS emulator preloaded with the keys a fleet uses, the service in-process on loopback, a
//! PostgreSQL cluster of its own, and a small HTTP client.

mod client;
mod fixture;
mod postgres;

pub use client::{Client, Connection, Reply};
pub use fixture::{Fixture, Running, enrol};
pub use hyper::Method;
pub use postgres::PgCluster;
