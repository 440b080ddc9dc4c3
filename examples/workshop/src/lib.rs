//! The products of orchestrator-core's beginner workshop, declared with orch.
//!
//! Two product types share three products: "User Group" is a [`UserGroup`]; "User internal" and
//! "User external" are both a [`User`], told apart by the `affiliation` fixed input. As in the
//! workshop, a user group's name is required from provisioning and its id from active, and so
//! are a user's name and id.
//!
//! A binary that uses these products must link this crate (`use workshop as _;`), or
//! `inventory` never sees the registrations.

pub mod demo;
pub mod migrations;
pub mod products;

pub use products::*;
