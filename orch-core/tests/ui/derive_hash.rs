use orch_core::product_block;

#[product_block(name = "PortBlock")]
#[derive(Debug, Hash)]
pub struct PortBlock {
    pub speed: i64,
}

fn main() {}
