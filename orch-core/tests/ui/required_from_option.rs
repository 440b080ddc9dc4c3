use orch_core::product_block;

#[product_block(name = "PortBlock")]
pub struct PortBlock {
    #[required_from(active)]
    pub port_name: Option<String>,
}

fn main() {}
