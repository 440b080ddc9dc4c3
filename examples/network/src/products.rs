//! The product blocks and product types of the catalogue, and their registration.
//!
//! Blocks are listed from the bottom up: a [`NodeBlock`] uses nothing; a [`PortBlock`] and a
//! [`CorePortBlock`] point at the node they are on; a [`CoreLinkBlock`] holds exactly two core
//! ports; a [`SapBlock`] points at a port and says which VLANs it uses; a
//! [`VirtualCircuitBlock`] holds two to eight SAPs; an [`NsistpBlock`] holds one SAP.
//!
//! Who owns what: a node subscription owns its node block, a port subscription its port block.
//! A port block's `node`, a core port's `node` and a SAP's `port` are blocks of *other*
//! subscriptions: saving a port, core link or L2VPN writes a relation to them, never their
//! values, and loading reads them as they are. A node cannot be terminated while an active
//! port uses it, nor a port while an active L2VPN does.

use orch_core::{FieldValue, Lifecycle, product, product_block, register_products};

use crate::vlan::VlanRanges;

/// The operational status of a node, a resource type stored as its name (`planned`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, FieldValue)]
pub enum NodeStatus {
    /// Switched off.
    Offline,
    /// In service.
    Active,
    /// Ordered, not yet installed.
    Planned,
    /// Installed, being configured.
    Staged,
    /// Broken.
    Failed,
    /// On the shelf.
    Inventory,
    /// Being taken out of service.
    Decommissioning,
}

/// A network node (router or switch): the root block of the "node ..." products.
#[product_block(name = "Node")]
pub struct NodeBlock {
    /// ID in the CMDB of the node's role in the network.
    #[required_from(provisioning)]
    pub role_id: i64,
    /// ID in the CMDB of the node's type.
    #[required_from(provisioning)]
    pub type_id: i64,
    /// ID in the CMDB of the node's site.
    #[required_from(provisioning)]
    pub site_id: i64,
    /// Operational status.
    #[required_from(provisioning)]
    pub node_status: NodeStatus,
    /// Unique name of the node.
    #[required_from(provisioning)]
    pub node_name: String,
    /// Free description.
    pub node_description: Option<String>,
    /// ID in the inventory management system.
    #[required_from(active)]
    pub ims_id: i64,
    /// ID in the network resource manager.
    #[required_from(active)]
    pub nrm_id: i64,
    /// IPAM ID of the IPv4 loopback address.
    #[required_from(active)]
    pub ipv4_ipam_id: i64,
    /// IPAM ID of the IPv6 loopback address.
    #[required_from(active)]
    pub ipv6_ipam_id: i64,
}

impl NodeBlock {
    /// A one-line summary: `node-a (active)`.
    pub fn title(&self) -> String {
        format!("{} ({})", self.node_name, self.node_status.to_stored())
    }
}

/// How a port carries traffic; stored as `tagged`, `untagged` or `link member`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, FieldValue)]
pub enum PortMode {
    /// 802.1Q tagged: SAPs choose VLANs.
    Tagged,
    /// One untagged service.
    Untagged,
    /// Part of an aggregate.
    #[value = "link member"]
    LinkMember,
}

/// A customer-facing port on a node: the root block of the "port ..." products.
#[product_block(name = "Port")]
pub struct PortBlock {
    /// Name of the port on the node, unique per node.
    #[required_from(provisioning)]
    pub port_name: String,
    /// Type of the port (e.g. `10GBASE-LR`).
    #[required_from(provisioning)]
    pub port_type: String,
    /// Free description.
    pub port_description: Option<String>,
    /// Tagged, untagged or a link member.
    #[required_from(provisioning)]
    pub port_mode: PortMode,
    /// Whether Ethernet auto negotiation is on.
    #[required_from(provisioning)]
    pub auto_negotiation: bool,
    /// Whether LLDP is on.
    #[required_from(provisioning)]
    pub lldp: bool,
    /// Whether the port is enabled in the inventory management system.
    #[required_from(provisioning)]
    pub enabled: bool,
    /// The node the port is on: the block of a node subscription.
    #[required_from(provisioning)]
    pub node: NodeBlock,
    /// ID in the inventory management system.
    #[required_from(provisioning)]
    pub ims_id: i64,
    /// ID in the network resource manager.
    #[required_from(active)]
    pub nrm_id: i64,
}

impl PortBlock {
    /// A one-line summary: `xe-0/0/1 on node-a`.
    pub fn title(&self) -> String {
        format!("{} on {}", self.port_name, self.node.node_name)
    }
}

/// One end of a core link: a port on a node, owned by the core link subscription.
#[product_block(name = "CorePort")]
pub struct CorePortBlock {
    /// Name of the port on the node, when known.
    pub port_name: Option<String>,
    /// Whether the port is enabled in the inventory management system.
    #[required_from(provisioning)]
    pub enabled: bool,
    /// ID in the inventory management system.
    #[required_from(active)]
    pub ims_id: i64,
    /// ID in the network resource manager.
    #[required_from(active)]
    pub nrm_id: i64,
    /// The node the port is on: the block of a node subscription.
    #[required_from(provisioning)]
    pub node: NodeBlock,
    /// IPAM ID of the port's IPv6 address.
    #[required_from(active)]
    pub ipv6_ipam_id: i64,
}

impl CorePortBlock {
    /// A one-line summary: `et-0/0/0 on node-a`.
    pub fn title(&self) -> String {
        format!(
            "{} on {}",
            self.port_name.as_deref().unwrap_or("(unnamed port)"),
            self.node.node_name
        )
    }
}

/// A link between two nodes of the core: exactly two core ports.
#[product_block(name = "CoreLink")]
pub struct CoreLinkBlock {
    /// The two ends.
    #[items(min = 2, max = 2)]
    pub ports: Vec<CorePortBlock>,
    /// ID in the inventory management system.
    #[required_from(active)]
    pub ims_id: i64,
    /// IPAM ID of the prefix that numbers the two ports.
    #[required_from(active)]
    pub ipv6_prefix_ipam_id: i64,
    /// ID in the network resource manager.
    #[required_from(active)]
    pub nrm_id: i64,
    /// Whether the link is under maintenance.
    #[required_from(provisioning)]
    pub under_maintenance: bool,
}

impl CoreLinkBlock {
    /// A one-line summary: `node-a <-> node-b`.
    pub fn title(&self) -> String {
        self.ports
            .iter()
            .map(|p| p.node.node_name.as_str())
            .collect::<Vec<_>>()
            .join(" <-> ")
    }
}

/// A service access point: some VLANs on a port of a port subscription.
#[product_block(name = "SAP")]
pub struct SapBlock {
    /// The port: the block of a port subscription.
    #[required_from(provisioning)]
    pub port: PortBlock,
    /// The VLANs used on the port, stored as `100,200-210`.
    #[required_from(provisioning)]
    pub vlan: VlanRanges,
    /// ID in the inventory management system.
    #[required_from(active)]
    pub ims_id: i64,
}

impl SapBlock {
    /// A one-line summary: `VLAN 100 on xe-0/0/1 on node-a`.
    pub fn title(&self) -> String {
        format!("VLAN {} on {}", self.vlan, self.port.title())
    }
}

/// A layer 2 circuit between two to eight SAPs.
#[product_block(name = "VirtualCircuit")]
pub struct VirtualCircuitBlock {
    /// The access points.
    #[items(min = 2, max = 8)]
    pub saps: Vec<SapBlock>,
    /// Bandwidth in Mbit/s.
    #[required_from(provisioning)]
    pub speed: i64,
    /// Whether the bandwidth is policed.
    #[required_from(provisioning)]
    pub speed_policer: bool,
    /// ID in the inventory management system.
    #[required_from(active)]
    pub ims_id: i64,
    /// ID in the network resource manager.
    #[required_from(active)]
    pub nrm_id: i64,
}

impl VirtualCircuitBlock {
    /// A one-line summary: `1000 Mbit/s between node-a and node-b`.
    pub fn title(&self) -> String {
        let nodes: Vec<&str> = self
            .saps
            .iter()
            .map(|s| s.port.node.node_name.as_str())
            .collect();
        format!("{} Mbit/s between {}", self.speed, nodes.join(" and "))
    }
}

/// An NSI service termination point: a SAP exposed in an NSI topology.
#[product_block(name = "Nsistp")]
pub struct NsistpBlock {
    /// The access point, owned by the nsistp subscription.
    pub sap: SapBlock,
    /// The topology the point is exposed in.
    #[required_from(provisioning)]
    pub topology: String,
    /// Unique id of the point.
    #[required_from(provisioning)]
    pub stp_id: String,
    /// Free description.
    pub stp_description: Option<String>,
    /// Inbound port from another topology, when the point is part of an SDP.
    pub is_alias_in: Option<String>,
    /// Outbound port to another topology, when the point is part of an SDP.
    pub is_alias_out: Option<String>,
    /// Whether to expose the point in the topology.
    pub expose_in_topology: Option<bool>,
    /// Bandwidth of all points together, in Mbit/s.
    pub bandwidth: Option<i64>,
}

/// The kind of node: the fixed input that tells the four node products apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, FieldValue)]
pub enum NodeType {
    /// Stored as `Cisco`.
    #[value = "Cisco"]
    Cisco,
    /// Stored as `Nokia`.
    #[value = "Nokia"]
    Nokia,
    /// Stored as `Cumulus`.
    #[value = "Cumulus"]
    Cumulus,
    /// Stored as `FRR`.
    #[value = "FRR"]
    Frr,
}

/// The speed of a port in Mbit/s, a fixed input stored as its number (`10000`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, FieldValue)]
pub enum PortSpeed {
    /// 1 Gbit/s.
    #[value = 1000]
    OneGig,
    /// 10 Gbit/s.
    #[value = 10000]
    TenGig,
    /// 40 Gbit/s.
    #[value = 40000]
    FortyGig,
    /// 100 Gbit/s.
    #[value = 100000]
    HundredGig,
    /// 400 Gbit/s.
    #[value = 400000]
    FourHundredGig,
}

impl PortSpeed {
    /// The speed in Mbit/s.
    pub fn mbit_per_s(self) -> u32 {
        match self {
            PortSpeed::OneGig => 1_000,
            PortSpeed::TenGig => 10_000,
            PortSpeed::FortyGig => 40_000,
            PortSpeed::HundredGig => 100_000,
            PortSpeed::FourHundredGig => 400_000,
        }
    }
}

/// The speed of a core link in Mbit/s, a fixed input stored as its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, FieldValue)]
pub enum CoreLinkSpeed {
    /// 10 Gbit/s.
    #[value = 10000]
    TenGig,
    /// 100 Gbit/s.
    #[value = 100000]
    HundredGig,
}

impl CoreLinkSpeed {
    /// The speed in Mbit/s.
    pub fn mbit_per_s(self) -> u32 {
        match self {
            CoreLinkSpeed::TenGig => 10_000,
            CoreLinkSpeed::HundredGig => 100_000,
        }
    }
}

/// A node: "node Cisco", "node Nokia", "node Cumulus", "node FRR".
#[product(product_type = "Node")]
pub struct Node {
    /// Which kind of node.
    pub node_type: NodeType,
    /// The node.
    pub node: NodeBlock,
}

/// A port: "port 10G", "port 100G".
#[product(product_type = "Port")]
pub struct Port {
    /// Its speed.
    pub speed: PortSpeed,
    /// The port.
    pub port: PortBlock,
}

/// A core link: "core link 10G", "core link 100G".
#[product(product_type = "CoreLink")]
pub struct CoreLink {
    /// Its speed.
    pub speed: CoreLinkSpeed,
    /// The link.
    pub core_link: CoreLinkBlock,
}

/// A layer 2 VPN between two to eight SAPs: "l2vpn".
#[product(product_type = "L2vpn")]
pub struct L2vpn {
    /// The circuit.
    pub virtual_circuit: VirtualCircuitBlock,
}

/// An NSI service termination point: "nsistp".
#[product(product_type = "Nsistp")]
pub struct Nsistp {
    /// The point.
    pub nsistp: NsistpBlock,
}

/// An NSI point-to-point service: "nsip2p", a virtual circuit of exactly two single-VLAN SAPs.
#[product(product_type = "Nsip2p")]
pub struct Nsip2p {
    /// The circuit.
    pub virtual_circuit: VirtualCircuitBlock,
}

/// Why an nsip2p's circuit does not fit the product.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Nsip2pError {
    /// Not two SAPs.
    #[error("an nsip2p has exactly 2 SAPs, not {0}")]
    SapCount(usize),
    /// A SAP with more (or fewer) than one VLAN.
    #[error("an nsip2p SAP uses exactly one VLAN, but saps.{index} uses {vlans:?}")]
    NotSingleVlan {
        /// The SAP's position.
        index: usize,
        /// Its VLANs.
        vlans: String,
    },
}

impl<L: Lifecycle> Nsip2p<L> {
    /// The product's own rule, on top of the circuit's: exactly two SAPs, each on one VLAN (a
    /// SAP whose VLAN is not chosen yet passes). Call it where the circuit is built; orch does
    /// not run product rules by itself.
    pub fn check_saps(&self) -> Result<(), Nsip2pError> {
        let saps = &self.virtual_circuit.saps;
        if saps.len() != 2 {
            return Err(Nsip2pError::SapCount(saps.len()));
        }
        for (index, sap) in saps.iter().enumerate() {
            if let Some(vlans) = L::provisioning_as_ref(&sap.vlan)
                && vlans.single_vlan().is_none()
            {
                return Err(Nsip2pError::NotSingleVlan {
                    index,
                    vlans: vlans.to_string(),
                });
            }
        }
        Ok(())
    }
}

register_products! {
    "node Cisco" => Node,
    "node Nokia" => Node,
    "node Cumulus" => Node,
    "node FRR" => Node,
    "port 10G" => Port,
    "port 100G" => Port,
    "core link 10G" => CoreLink,
    "core link 100G" => CoreLink,
    "l2vpn" => L2vpn,
    "nsistp" => Nsistp,
    "nsip2p" => Nsip2p,
}

#[cfg(test)]
mod tests {
    use orch_core::ValueKind;

    use super::*;

    /// Every variant of a value enum, read back from its stored value.
    fn every<T: FieldValue>() -> Vec<T> {
        T::CHOICES
            .iter()
            .map(|s| T::from_stored(s).unwrap())
            .collect()
    }

    #[test]
    fn speeds_are_integer_enums_stored_as_their_numbers() {
        // the example's `PortSpeed(IntEnum)` and `CoreLinkSpeed(IntEnum)`, in Mbit/s
        assert_eq!(
            PortSpeed::CHOICES,
            ["1000", "10000", "40000", "100000", "400000"]
        );
        assert_eq!(CoreLinkSpeed::CHOICES, ["10000", "100000"]);
        assert_eq!(PortSpeed::KIND, ValueKind::Enum);
        let ports = every::<PortSpeed>();
        assert_eq!(ports.len(), 5);
        assert!(ports.is_sorted(), "declared from slow to fast");
        for speed in ports {
            assert_eq!(speed.to_stored(), speed.mbit_per_s().to_string());
            assert_eq!(
                speed.to_json().as_u64(),
                Some(u64::from(speed.mbit_per_s())),
                "an integer enum is a number in JSON, as IntEnum is"
            );
        }
        for speed in every::<CoreLinkSpeed>() {
            assert_eq!(speed.to_stored(), speed.mbit_per_s().to_string());
            assert_eq!(
                PortSpeed::from_stored(&speed.to_stored()).map(PortSpeed::mbit_per_s),
                Ok(speed.mbit_per_s()),
                "a core link runs at a speed a port has"
            );
        }
        // stored text is read as orchestrator-core writes it; spaces around it are tolerated
        assert_eq!(PortSpeed::from_stored(" 10000 "), Ok(PortSpeed::TenGig));
    }

    #[test]
    fn a_stored_value_outside_an_enum_is_a_clear_error() {
        let msg = |e: orch_core::ValueError| e.to_string();
        assert_eq!(
            msg(PortSpeed::from_stored("10G").unwrap_err()),
            "`10G` is not a valid PortSpeed: expected one of: 1000, 10000, 40000, 100000, 400000"
        );
        assert_eq!(
            msg(CoreLinkSpeed::from_stored("40000").unwrap_err()),
            "`40000` is not a valid CoreLinkSpeed: expected one of: 10000, 100000"
        );
        assert_eq!(
            msg(NodeStatus::from_stored("Active").unwrap_err()),
            "`Active` is not a valid NodeStatus: expected one of: offline, active, planned, \
             staged, failed, inventory, decommissioning"
        );
        assert_eq!(
            msg(PortMode::from_stored("link_member").unwrap_err()),
            "`link_member` is not a valid PortMode: expected one of: tagged, untagged, link member"
        );
        assert!(NodeType::from_stored("Juniper").is_err());
    }

    #[test]
    fn string_enums_are_stored_as_the_example_stores_them() {
        // the example's `NodeStatus`, `PortMode` and `Node_Type` values
        assert_eq!(
            NodeStatus::CHOICES,
            [
                "offline",
                "active",
                "planned",
                "staged",
                "failed",
                "inventory",
                "decommissioning"
            ]
        );
        assert_eq!(PortMode::CHOICES, ["tagged", "untagged", "link member"]);
        assert_eq!(NodeType::CHOICES, ["Cisco", "Nokia", "Cumulus", "FRR"]);
        for status in every::<NodeStatus>() {
            assert_eq!(NodeStatus::from_stored(&status.to_stored()), Ok(status));
            assert_eq!(
                status.to_json().as_str(),
                Some(status.to_stored().as_str()),
                "a string enum is a string in JSON"
            );
        }
        assert_eq!(PortMode::LinkMember.to_stored(), "link member");
        assert_eq!(NodeType::Frr.to_stored(), "FRR");
        assert_eq!(NodeStatus::KIND, ValueKind::Enum);
        assert_eq!(VlanRanges::KIND, ValueKind::Custom);
    }
}
