use orch_core::product_block;

#[product_block]
pub struct PortBlock {
    pub port_name: String,
}

fn main() {}
