use orch_core::{product, product_block};

#[product_block(name = "PortBlock")]
pub struct PortBlock {
    pub meta: String,
    pub label: String,
}

#[product(product_type = "Port")]
pub struct Port {
    pub status: String,
}

fn main() {}
