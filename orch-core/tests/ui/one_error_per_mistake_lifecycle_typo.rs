use orch_core::{product, product_block, register_products};

#[product_block(name = "FirewallBlock")]
pub struct FirewallBlock {
    #[required_from(activ)]
    pub asn: i64,
}

#[product(product_type = "Firewall")]
pub struct Firewall {
    pub firewall: FirewallBlock,
    pub spares: Vec<FirewallBlock>,
}

register_products! {
    "Firewall" => Firewall,
}

fn main() {}
