use orch_core::{block_union, product_block};

#[product_block(name = "PortBlock")]
pub struct PortBlock {
    pub speed: i64,
}

#[block_union]
pub enum PortOrName {
    Port(PortBlock),
    Name(String),
}

fn main() {}
