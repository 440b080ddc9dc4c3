//! The demo: a small network built the way workflows build it, on a migrated database.
//!
//! Two nodes, a port on each, a core link between the nodes and an L2VPN with a SAP on each
//! port. Every subscription is created from its product, filled in, saved, moved initial ->
//! provisioning -> active and saved at each step; the ports, the core link and the L2VPN point
//! at the blocks of the node and port subscriptions instead of copying them. Then everything is
//! loaded back, and terminating a port the L2VPN uses is refused with a message that names the
//! L2VPN.
//!
//! `cargo run -p network -- demo` runs it on `network.db`; the tests run it on SQLite,
//! PostgreSQL and MariaDB.

use std::fmt;

use orch_core::subscription::{Connection, SubscriptionError};
use orch_core::{Active, FieldValue, MissingFields, Product, Provisioning, Terminated};

use crate::products::*;
use crate::vlan::{VlanError, VlanRanges};

/// The customer of every demo subscription.
pub const CUSTOMER: &str = "demo-customer";

/// The VLAN both SAPs of the demo's L2VPN use.
pub const VLAN: u16 = 100;

/// The subscriptions the demo builds, all active.
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    /// "node Cisco" and "node Nokia".
    pub nodes: Vec<Node>,
    /// A "port 10G" on each node.
    pub ports: Vec<Port>,
    /// A "core link 10G" between the two nodes.
    pub core_link: CoreLink,
    /// An "l2vpn" with a SAP on each port.
    pub l2vpn: L2vpn,
}

/// What the demo did: the subscriptions as saved and as loaded back, and the refused
/// termination.
#[derive(Debug)]
pub struct Demo {
    /// The subscriptions as the flow saved them.
    pub saved: Network,
    /// The same subscriptions, loaded from the database.
    pub loaded: Network,
    /// Why terminating the first port was refused: the L2VPN uses it.
    pub refused: SubscriptionError,
}

/// Why the demo stopped.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// Creating, saving, loading or moving a subscription failed.
    #[error(transparent)]
    Subscription(#[from] SubscriptionError),
    /// A block could not be moved to the lifecycle of the subscription that uses it.
    #[error(transparent)]
    Lifecycle(#[from] MissingFields),
    /// A VLAN that is not one.
    #[error(transparent)]
    Vlan(#[from] VlanError),
    /// Terminating a port in use by an active L2VPN was not refused as it must be.
    #[error("terminating a port in use by an active l2vpn was not refused: {0}")]
    NotRefused(String),
}

/// A refused move, with the subscription it hands back dropped: the demo does not retry.
impl<P> From<orch_core::subscription::Refused<P>> for DemoError {
    fn from(r: orch_core::subscription::Refused<P>) -> DemoError {
        DemoError::Subscription(r.error)
    }
}

/// Runs the demo on a database with the network catalogue (see [`crate::migrations`]).
pub async fn demo<C: Connection>(db: &C) -> Result<Demo, DemoError> {
    let nodes = vec![
        node(db, "node Cisco", "node-a", 1).await?,
        node(db, "node Nokia", "node-b", 2).await?,
    ];
    let ports = vec![
        port(db, &nodes[0], "xe-0/0/1", 1).await?,
        port(db, &nodes[1], "xe-0/0/1", 2).await?,
    ];
    let core_link = core_link(db, &nodes).await?;
    let l2vpn = l2vpn(db, &ports).await?;
    let saved = Network {
        nodes,
        ports,
        core_link,
        l2vpn,
    };
    let loaded = load(db, &saved).await?;

    // the L2VPN's first SAP is on this port: terminating it would leave the L2VPN broken
    let refused = match saved.ports[0].clone().transition::<Terminated>(db).await {
        Err(r) if matches!(r.error, SubscriptionError::UnsafeTransition { .. }) => r.error,
        Err(r) => return Err(r.into()),
        Ok(p) => return Err(DemoError::NotRefused(p.meta.description)),
    };
    Ok(Demo {
        saved,
        loaded,
        refused,
    })
}

/// Loads the subscriptions of `network` again, each product type in one batch.
pub async fn load<C: Connection>(db: &C, network: &Network) -> Result<Network, SubscriptionError> {
    fn ids<P: Product>(subs: &[P]) -> Vec<uuid::Uuid> {
        subs.iter().map(|s| s.meta().subscription_id).collect()
    }
    Ok(Network {
        nodes: Node::<Active>::from_subscriptions(db, &ids(&network.nodes)).await?,
        ports: Port::<Active>::from_subscriptions(db, &ids(&network.ports)).await?,
        core_link: CoreLink::<Active>::from_subscription(
            db,
            network.core_link.meta.subscription_id,
        )
        .await?,
        l2vpn: L2vpn::<Active>::from_subscription(db, network.l2vpn.meta.subscription_id).await?,
    })
}

/// A node, from planned to active.
async fn node<C: Connection>(db: &C, product: &str, name: &str, n: i64) -> Result<Node, DemoError> {
    let mut node: NodeInactive = Node::from_product(db, product, CUSTOMER).await?;
    node.meta.description = format!("node {name}");
    let block = &mut node.node;
    block.node_name = Some(name.to_owned());
    block.node_status = Some(NodeStatus::Planned);
    block.role_id = Some(1);
    block.type_id = Some(n);
    block.site_id = Some(10 + n);
    node.save(db).await?;

    let mut node = node.transition::<Provisioning>(db).await?;
    let block = &mut node.node;
    block.node_status = NodeStatus::Staged;
    block.ims_id = Some(1000 + n);
    block.nrm_id = Some(2000 + n);
    block.ipv4_ipam_id = Some(3000 + n);
    block.ipv6_ipam_id = Some(4000 + n);
    node.save(db).await?;

    let mut node = node.transition::<Active>(db).await?;
    node.node.node_status = NodeStatus::Active;
    node.save(db).await?;
    Ok(node)
}

/// A 10G port on `node`: its `node` is the node subscription's block.
async fn port<C: Connection>(db: &C, node: &Node, name: &str, n: i64) -> Result<Port, DemoError> {
    let mut port: PortInactive = Port::from_product(db, "port 10G", CUSTOMER).await?;
    port.meta.description = format!("port {name} on {}", node.node.node_name);
    let block = &mut port.port;
    block.port_name = Some(name.to_owned());
    block.port_type = Some("10GBASE-LR".to_owned());
    block.port_mode = Some(PortMode::Tagged);
    block.auto_negotiation = Some(false);
    block.lldp = Some(true);
    block.enabled = Some(false);
    block.ims_id = Some(5000 + n);
    block.node = Some(node.node.clone().into_lifecycle()?);
    port.save(db).await?;

    let mut port = port.transition::<Provisioning>(db).await?;
    port.port.nrm_id = Some(6000 + n);
    port.save(db).await?;

    let mut port = port.transition::<Active>(db).await?;
    port.port.enabled = true;
    port.save(db).await?;
    Ok(port)
}

/// A 10G core link between the two nodes: two core ports, each on a node subscription's block.
async fn core_link<C: Connection>(db: &C, nodes: &[Node]) -> Result<CoreLink, DemoError> {
    // the product's list bound gives the new link its two core ports
    let mut link: CoreLinkInactive = CoreLink::from_product(db, "core link 10G", CUSTOMER).await?;
    for (end, node) in link.core_link.ports.iter_mut().zip(nodes) {
        end.port_name = Some("et-0/0/0".to_owned());
        end.enabled = Some(true);
        end.node = Some(node.node.clone().into_lifecycle()?);
    }
    link.core_link.under_maintenance = Some(false);
    link.meta.description = format!("core link {}", link_title(nodes));
    link.save(db).await?;

    let mut link = link.transition::<Provisioning>(db).await?;
    for (i, end) in (0..).zip(link.core_link.ports.iter_mut()) {
        end.ims_id = Some(7000 + i);
        end.nrm_id = Some(7100 + i);
        end.ipv6_ipam_id = Some(7200 + i);
    }
    let block = &mut link.core_link;
    block.ims_id = Some(7300);
    block.nrm_id = Some(7301);
    block.ipv6_prefix_ipam_id = Some(7302);
    link.save(db).await?;

    let mut link = link.transition::<Active>(db).await?;
    link.save(db).await?;
    Ok(link)
}

fn link_title(nodes: &[Node]) -> String {
    nodes
        .iter()
        .map(|n| n.node.node_name.as_str())
        .collect::<Vec<_>>()
        .join(" <-> ")
}

/// An L2VPN with one SAP on each port: each SAP's `port` is the port subscription's block.
async fn l2vpn<C: Connection>(db: &C, ports: &[Port]) -> Result<L2vpn, DemoError> {
    // the product's list bound gives the new circuit its first two SAPs
    let mut vpn: L2vpnInactive = L2vpn::from_product(db, "l2vpn", CUSTOMER).await?;
    for (sap, port) in vpn.virtual_circuit.saps.iter_mut().zip(ports) {
        sap.port = Some(port.port.clone().into_lifecycle()?);
        sap.vlan = Some(VlanRanges::single(VLAN)?);
    }
    let circuit = &mut vpn.virtual_circuit;
    circuit.speed = Some(1000);
    circuit.speed_policer = Some(true);
    vpn.meta.description = format!(
        "l2vpn {} VLAN {VLAN}",
        ports
            .iter()
            .map(|p| p.port.node.node_name.as_str())
            .collect::<Vec<_>>()
            .join(" <-> ")
    );
    vpn.save(db).await?;

    let mut vpn = vpn.transition::<Provisioning>(db).await?;
    for (i, sap) in (0..).zip(vpn.virtual_circuit.saps.iter_mut()) {
        sap.ims_id = Some(8000 + i);
    }
    vpn.virtual_circuit.ims_id = Some(8100);
    vpn.virtual_circuit.nrm_id = Some(8101);
    vpn.save(db).await?;

    let mut vpn = vpn.transition::<Active>(db).await?;
    vpn.save(db).await?;
    Ok(vpn)
}

/// One subscription's header line.
fn header<P: Product>(f: &mut fmt::Formatter<'_>, sub: &P) -> fmt::Result {
    let meta = sub.meta();
    writeln!(
        f,
        "{:<15} {:<52} {} v{} {}",
        meta.product.name,
        format!("{:?}", meta.description),
        <P::Lifecycle as orch_core::Lifecycle>::STATUS,
        meta.version,
        short(meta.subscription_id),
    )
}

impl fmt::Display for Network {
    /// Each subscription with its blocks; a block of another subscription says whose it is.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let owner = |id: Option<uuid::Uuid>| id.map(short).unwrap_or_else(|| "-".into());
        for node in &self.nodes {
            header(f, node)?;
            writeln!(f, "    Node            {}", node.node.title())?;
        }
        for port in &self.ports {
            header(f, port)?;
            writeln!(
                f,
                "    Port            {}, {}, {} Mbit/s",
                port.port.title(),
                port.port.port_mode.to_stored(),
                port.speed.mbit_per_s()
            )?;
            writeln!(
                f,
                "      Node          {}, block of subscription {}",
                port.port.node.title(),
                owner(port.port.node.meta.owner_subscription_id)
            )?;
        }
        let link = &self.core_link;
        header(f, link)?;
        writeln!(
            f,
            "    CoreLink        {}, {} Mbit/s",
            link.core_link.title(),
            link.speed.mbit_per_s()
        )?;
        for end in &link.core_link.ports {
            writeln!(
                f,
                "      CorePort      {}, node of subscription {}",
                end.title(),
                owner(end.node.meta.owner_subscription_id)
            )?;
        }
        let vpn = &self.l2vpn;
        header(f, vpn)?;
        writeln!(f, "    VirtualCircuit  {}", vpn.virtual_circuit.title())?;
        for sap in &vpn.virtual_circuit.saps {
            writeln!(
                f,
                "      SAP           {}, port of subscription {}",
                sap.title(),
                owner(sap.port.meta.owner_subscription_id)
            )?;
        }
        Ok(())
    }
}

impl fmt::Display for Demo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Created, provisioned and activated {} subscriptions; loaded back:\n",
            self.loaded.nodes.len() + self.loaded.ports.len() + 2
        )?;
        write!(f, "{}", self.loaded)?;
        writeln!(
            f,
            "\nTerminating {:?} is refused:\n  {}",
            self.saved.ports[0].meta.description, self.refused
        )
    }
}

/// The first eight hex digits of an id: enough to tell the demo's subscriptions apart.
fn short(id: uuid::Uuid) -> String {
    id.simple().to_string()[..8].to_owned()
}
