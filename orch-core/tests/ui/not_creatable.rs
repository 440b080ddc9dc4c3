use orch_core::{block_union, product, product_block, register_products};

#[product_block(name = "LagBlock")]
pub struct LagBlock {
    pub lag_name: Option<String>,
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
    // a union every lifecycle requires: which member is for a person to choose
    pub uplink: Uplink,
    #[required_from(active)]
    pub asn: i64,
}

#[product_block(name = "RuleBlock")]
pub struct RuleBlock {
    // a value every lifecycle requires
    pub port: u16,
}

#[product(product_type = "Firewall")]
pub struct Firewall {
    pub firewall: FirewallBlock,
    #[items(min = 1)]
    pub rules: Vec<RuleBlock>,
    // optional, or a list without a minimum: from_product leaves them empty
    pub spare: Option<FirewallBlock>,
    pub more_rules: Vec<RuleBlock>,
}

register_products! {
    "Firewall" => Firewall,
}

// the same model, declared as imported (its subscriptions come from orchestrator-core or
// migrations): it compiles (and has no from_product)
#[product(product_type = "ImportedFirewall", imported)]
pub struct ImportedFirewall {
    pub firewall: FirewallBlock,
}

register_products! {
    "Imported firewall" => ImportedFirewall,
}

fn main() {}
