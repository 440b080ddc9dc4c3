use orch_core::product_block;

#[product_block(name = "PortBlock")]
pub struct PortBlock<T> {
    pub speed: T,
}

fn main() {}
