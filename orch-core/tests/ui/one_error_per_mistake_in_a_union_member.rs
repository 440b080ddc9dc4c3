use orch_core::{block_union, product, product_block, register_products};

#[product_block(name = "LagBlock")]
pub struct LagBlock {
    #[required_from(provisioning, active)]
    pub members: Vec<String>,
}

#[product_block(name = "PortBlock")]
pub struct PortBlock {
    pub port_name: Option<String>,
}

#[block_union]
pub enum Uplink {
    Lag(LagBlock),
    Port(PortBlock),
}

#[product_block(name = "FirewallBlock")]
pub struct FirewallBlock {
    pub uplink: Option<Uplink>,
}

#[product(product_type = "Firewall")]
pub struct Firewall {
    pub firewall: FirewallBlock,
}

register_products! {
    "Firewall" => Firewall,
}

fn main() {}
