use orch_core::{product, product_block, register_products};

#[product_block(name = "FirewallBlock")]
pub struct FirewallBlock {
    pub asn: Option<i64>,
}

#[product(product_typ = "Firewall")]
pub struct Firewall {
    pub firewall: FirewallBlock,
}

register_products! {
    "Firewall" => Firewall,
    "Firewall spare" => Firewall,
}

fn main() {}
