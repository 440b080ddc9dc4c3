use orch_core::product_block;

#[product_block(name = "PortBlock")]
pub struct PortBlock {
    pub speed: Option<Option<i64>>,
    pub vlan_groups: Vec<Vec<u16>>,
}

fn main() {}
