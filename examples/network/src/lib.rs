//! A real network catalogue in orch: the products of the Workflow Orchestrator's example
//! orchestrator (`workfloworchestrator/example-orchestrator`), declared with orch.
//!
//! | product type | products | root block |
//! |---|---|---|
//! | [`Node`] | "node Cisco", "node Nokia", "node Cumulus", "node FRR" | [`NodeBlock`] "Node" |
//! | [`Port`] | "port 10G", "port 100G" | [`PortBlock`] "Port" → Node |
//! | [`CoreLink`] | "core link 10G", "core link 100G" | [`CoreLinkBlock`] "CoreLink" → 2 × "CorePort" → Node |
//! | [`L2vpn`] | "l2vpn" | [`VirtualCircuitBlock`] "VirtualCircuit" → 2..8 × "SAP" → Port |
//! | [`Nsistp`] | "nsistp" | [`NsistpBlock`] "Nsistp" → SAP |
//! | [`Nsip2p`] | "nsip2p" | [`VirtualCircuitBlock`] "VirtualCircuit" |
//!
//! It exercises what a small tutorial does not: blocks shared across subscriptions (a SAP
//! points at the port block of a port subscription, a core port at the node block of a node
//! subscription), bounded lists (`#[items(min = 2, max = 2)]`), enums as fixed inputs stored as
//! numbers ([`PortSpeed`]) and as resource types stored as names ([`NodeStatus`]), and a
//! resource type with its own Rust type ([`VlanRanges`]).
//!
//! - [`products`]: the models and their registration;
//! - [`migrations`]: the generated migration that creates their metadata (run it with the
//!   `network-migrate` binary, orch-migrate's CLI over this crate);
//! - [`demo`]: nodes, ports, a core link and an L2VPN, created, provisioned, activated, saved
//!   and loaded back (`cargo run -p network -- demo`).
//!
//! A binary that uses these products must link this crate (`use network as _;`), or
//! `inventory` never sees the registrations.

pub mod demo;
pub mod migrations;
pub mod products;
pub mod vlan;

pub use products::*;
pub use vlan::{VlanError, VlanRanges};
