use orch_core::product_block;

#[product_block(nmae = "PortBlock")]
pub struct PortBlock {
    pub port_name: String,
}

fn main() {}
