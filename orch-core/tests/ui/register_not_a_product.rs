use orch_core::{product_block, register_products};

#[product_block(name = "PortBlock")]
pub struct PortBlock {
    pub speed: i64,
}

register_products! {
    "Port 10G" => PortBlock,
}

fn main() {}
