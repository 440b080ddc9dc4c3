use orch_core::product_block;

#[product_block(name = "PortBlock")]
pub struct PortBlock {
    pub speed: i64,
}

#[product_block(name = "LagBlock")]
pub struct LagBlock {
    #[items(min = 1, max = 8)]
    pub port: PortBlock,
}

fn main() {}
