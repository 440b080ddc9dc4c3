use orch_core::product_block;

#[product_block(name = "PortBlock")]
pub enum PortBlock {
    Copper { speed: i64 },
    Fiber { speed: i64 },
}

fn main() {}
