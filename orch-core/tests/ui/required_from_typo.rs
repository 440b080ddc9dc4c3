use orch_core::product_block;

#[product_block(name = "PortBlock")]
pub struct PortBlock {
    #[required_from(provisoning)]
    pub port_name: String,
}

fn main() {}
