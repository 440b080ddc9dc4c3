use orch_core::{product, product_block, register_products};

#[product_block(name = "RuleBlock")]
pub struct RuleBlock {
    #[items(min = 1)]
    pub port: u16,
}

#[product_block(name = "FirewallBlock")]
pub struct FirewallBlock {
    pub rules: Vec<RuleBlock>,
    pub first: Option<RuleBlock>,
}

#[product(product_type = "Firewall")]
pub struct Firewall {
    pub firewall: FirewallBlock,
}

register_products! {
    "Firewall" => Firewall,
}

fn main() {}
