use orch_core::product_block;

#[product_block(name = "PortBlock")]
pub struct PortBlock(String, i64);

#[product_block(name = "MarkerBlock")]
pub struct MarkerBlock;

fn main() {}
