use orch_core::product_block;

#[derive(Debug, Clone, PartialEq)]
pub enum PortMode {
    Tagged,
    Untagged,
}

#[product_block(name = "PortBlock")]
pub struct PortBlock {
    pub mode: PortMode,
}

fn main() {}
