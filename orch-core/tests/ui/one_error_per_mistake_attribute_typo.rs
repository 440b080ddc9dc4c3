use orch_core::{product, product_block, register_products};

#[product_block(name = "FirewallBlock")]
pub struct FirewallBlock {
    #[requird_from(active)]
    pub asn: i64,
    pub hostname: Option<String>,
}

#[product(product_type = "Firewall")]
pub struct Firewall {
    pub firewall: FirewallBlock,
}

register_products! {
    "Firewall" => Firewall,
}

fn main() {}
